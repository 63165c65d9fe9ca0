using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Core.Text;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Credentials.Helpers;

// Credentials of kind "helper" (issue #12): the secret is whatever docker-credential-HELPER
// prints, run by the leader on add, on verify and ahead of expiry (HelperRefresher). What it
// guarantees:
// - nothing is stored when the helper fails on add; the helper's environment is sealed like
//   any secret;
// - a refreshed token is a new credential revision, announced on the same path as
//   `registry update`, so agents get it at once; no service update, no restart;
// - a failed refresh keeps the last good token (it may still be valid), records the error
//   (redacted) and is retried with backoff;
// - the token lives only sealed in the database and in the agents' memory.
public sealed partial class HelperCredentials(
    LeaderDatabase db,
    SecretBox secrets,
    CredentialService credentials,
    CredentialHelperRunner runner,
    HelperOptions options,
    TimeProvider time,
    ILogger<HelperCredentials> log)
{
    // Raised when a helper credential's schedule may have moved (added, refreshed, changed), so
    // the refresher recomputes its next wake-up. Handlers must not block.
    public event Action? ScheduleChanged;

    public async Task<CredentialView> AddAsync(NewHelperCredential request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = CredentialService.ValidNameOf(request.Name);
        var provider = CredentialService.ValidProviderOf(request.Provider);
        var url = CredentialService.ValidUrlOf(provider, request.Url, request.Insecure);
        var helper = HelperName.Valid(request.Helper);
        var environment = HelperEnvironment.Parse(request.Environment);
        var every = ValidRefreshEvery(request.RefreshEvery);
        if (credentials.FindRecord(name) is not null)
        {
            throw new OperationException(OperationError.AlreadyExists, $"registry '{name}' already exists; remove it first or pick another name");
        }

        // The helper and the registry are asked before the lock: a slow helper must not hold up
        // every other credential change. The name is checked again under the lock.
        var run = await runner.GetAsync(helper, ServerAddress(url), environment, [], cancellationToken);
        if (!run.Ok)
        {
            Log.AddRefused(log, name, helper);
            throw new OperationException(OperationError.FailedPrecondition, $"registry '{name}' not saved: {run.Error}");
        }

        var username = run.Username ?? ProviderRules.DefaultUsername(provider) ?? "";
        DateTime? verifiedAt = null;
        if (!request.NoVerify)
        {
            await credentials.VerifyOrThrowForHelperAsync(name, provider, url, request.Insecure, CredentialService.LoginFor(url, username, run.Secret!), cancellationToken);
            verifiedAt = time.GetUtcNow().UtcDateTime;
        }

        var record = await credentials.UnderChangeLockAsync(() =>
        {
            if (credentials.FindRecord(name) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"registry '{name}' already exists; remove it first or pick another name");
            }

            var created = db.Write(d =>
            {
                var now = time.GetUtcNow();
                var (expiresAt, next) = TokenLifetime.Schedule(run.Secret!, provider, every, now);
                var id = Guid.NewGuid().ToString("N");
                var r = new CredentialRecord
                {
                    Id = id,
                    Name = name,
                    Provider = RegistryProviders.CliName(provider),
                    Url = url,
                    Username = username,
                    SealedSecret = secrets.Seal(run.Secret!, CredentialRecord.Binding(id, url, username)),
                    Insecure = request.Insecure,
                    PushOnly = request.PushOnly,
                    Revision = d.Next(LeaderDatabase.CredentialRevision),
                    VerifiedAt = verifiedAt,
                    CreatedAt = now.UtcDateTime,
                    UpdatedAt = now.UtcDateTime,
                    Helper = helper,
                    SealedHelperEnv = environment.Count == 0 ? null : secrets.Seal(HelperEnvironment.Format(environment), CredentialRecord.HelperEnvBinding(id)),
                    RefreshEverySeconds = (int)every.TotalSeconds,
                    ExpiresAt = expiresAt.UtcDateTime,
                    NextRefreshAt = next.UtcDateTime,
                    LastRefreshAt = now.UtcDateTime,
                };
                d.Credentials.Insert(r);
                Audit(d, actor, "registry.add", name, r.Revision,
                    $"provider={r.Provider} url={url} helper={helper} env-keys={string.Join(',', environment.Keys.Order(StringComparer.Ordinal))} refresh-every={r.RefreshEverySeconds}s verified={verifiedAt is not null} push-only={request.PushOnly}");
                return r;
            });
            credentials.Publish(new CredentialChange(created.Id, created.Name, created.Revision, Removed: false));
            return created;
        }, cancellationToken);
        Log.Added(log, name, helper, record.Revision, record.ExpiresAt!.Value, record.NextRefreshAt!.Value);
        ScheduleChanged?.Invoke();
        return CredentialService.ViewOf(record);
    }

    // `registry update NAME --helper-env-stdin / --refresh-every`: a new environment is tried
    // (the helper run with it) before it replaces the old one; nothing changes on failure.
    public async Task<CredentialView> UpdateAsync(string name, string? environmentText, TimeSpan? refreshEvery, string actor, CancellationToken cancellationToken)
    {
        var current = credentials.FindRecord(name) ?? throw new OperationException(OperationError.NotFound, $"no registry named '{name}'; `clusterctl registry list` shows the stored ones");
        if (current.Helper is null)
        {
            throw new OperationException(OperationError.FailedPrecondition,
                $"registry '{name}' is a static credential: --helper-env-stdin and --refresh-every apply only to credentials added with --helper; use --password-stdin");
        }

        var every = refreshEvery is { } e ? ValidRefreshEvery(e) : TimeSpan.FromSeconds(current.RefreshEverySeconds);
        if (environmentText is null)
        {
            var updated = await credentials.UnderChangeLockAsync(() => db.Write(d =>
            {
                var r = d.Credentials.FindById(current.Id) ?? throw new OperationException(OperationError.NotFound, $"registry '{name}' was removed meanwhile");
                r.RefreshEverySeconds = (int)every.TotalSeconds;
                r.NextRefreshAt = TokenLifetime.Schedule(secrets.Open(r.SealedSecret, r.SecretBinding()), CredentialService.ValidProviderOf(r.Provider), every, time.GetUtcNow()).NextRefresh.UtcDateTime;
                r.UpdatedAt = time.GetUtcNow().UtcDateTime;
                d.Credentials.Update(r);
                Audit(d, actor, "registry.update", r.Name, r.Revision, $"refresh-every={r.RefreshEverySeconds}s");
                return r;
            }), cancellationToken);
            ScheduleChanged?.Invoke();
            return CredentialService.ViewOf(updated);
        }

        var environment = HelperEnvironment.Parse(environmentText);
        var refreshed = await RefreshAsync(current.Id, actor, "registry.update", environment, every, cancellationToken);
        if (!refreshed.Run.Ok)
        {
            throw new OperationException(OperationError.FailedPrecondition, $"registry '{name}' not changed: {refreshed.Run.Error}");
        }

        return refreshed.View!;
    }

    // Runs the helper for one credential now and stores the outcome. Used by the refresher, by
    // `registry verify` and by UpdateAsync. Never throws for a helper failure: the failure is
    // recorded (last error, retry time) and returned.
    public Task<(HelperRun Run, CredentialView? View)> RefreshAsync(string id, string actor, CancellationToken cancellationToken) =>
        RefreshAsync(id, actor, "registry.refresh", null, null, cancellationToken);

    // Helper credentials with when each is due, for the refresher.
    public IReadOnlyList<(string Id, string Name, DateTime NextRefreshAt)> Schedule() =>
        db.Read(d => d.Credentials.FindAll()
            .Where(c => c.Helper is not null)
            .Select(c => (c.Id, c.Name, DateTime.SpecifyKind(c.NextRefreshAt ?? DateTime.MinValue, DateTimeKind.Utc)))
            .ToList());

    private async Task<(HelperRun Run, CredentialView? View)> RefreshAsync(string id, string actor, string action, IReadOnlyDictionary<string, string>? newEnvironment, TimeSpan? newEvery, CancellationToken cancellationToken)
    {
        var record = db.Read(d => d.Credentials.FindById(id));
        if (record?.Helper is null)
        {
            return (HelperRun.Failed("the credential is gone or no longer a helper credential"), null);
        }

        var provider = CredentialService.ValidProviderOf(record.Provider);
        var environment = newEnvironment ?? (record.SealedHelperEnv is { } sealedEnv
            ? HelperEnvironment.Parse(secrets.Open(sealedEnv, CredentialRecord.HelperEnvBinding(record.Id)))
            : new Dictionary<string, string>());
        var current = secrets.Open(record.SealedSecret, record.SecretBinding());
        var run = await runner.GetAsync(record.Helper, ServerAddress(record.Url), environment, [current], cancellationToken);
        if (run.Ok && record.VerifiedAt is not null && (run.Secret != current || run.Username is not null && run.Username != record.Username))
        {
            // A token the registry refuses must not replace one that may still work. Other
            // failures (the leader cannot reach the registry) do not block: the helper is the
            // authority, and the nodes check the token themselves.
            var username = run.Username ?? record.Username;
            var check = await credentials.CheckAsync(record.Name, provider, record.Url, record.Insecure, CredentialService.LoginFor(record.Url, username, run.Secret!), credentials.PushNamespaceOf(record.Name), cancellationToken);
            if (!check.Ok && check.Failure is RegistryFailureKind.Unauthorized or RegistryFailureKind.Forbidden)
            {
                run = HelperRun.Failed($"docker-credential-{record.Helper} gave a token that {CredentialService.HostOf(record.Url)} refuses: {SecretRedactor.Redact(check.Message, [run.Secret, current, .. environment.Values])}");
            }
        }

        if (!run.Ok && newEnvironment is not null)
        {
            // A new environment that does not work changes nothing; the old one keeps refreshing.
            return (run, null);
        }

        var outcome = await credentials.UnderChangeLockAsync(() =>
        {
            var saved = db.Write(d =>
            {
                var r = d.Credentials.FindById(id);
                if (r is null || r.Helper != record.Helper)
                {
                    return null;
                }

                var now = time.GetUtcNow();
                var every = newEvery ?? TimeSpan.FromSeconds(r.RefreshEverySeconds);
                if (!run.Ok)
                {
                    r.RefreshFailures++;
                    r.LastRefreshError = $"{now.UtcDateTime:u}: {run.Error}";
                    var retry = now + TokenLifetime.RetryDelay(r.RefreshFailures, options, every);
                    r.NextRefreshAt = retry.UtcDateTime;
                    d.Credentials.Update(r);
                    return r;
                }

                var (expiresAt, next) = TokenLifetime.Schedule(run.Secret!, provider, every, now);
                var username = run.Username ?? r.Username;
                var changed = run.Secret != secrets.Open(r.SealedSecret, r.SecretBinding()) || username != r.Username || newEnvironment is not null;
                r.ExpiresAt = expiresAt.UtcDateTime;
                r.NextRefreshAt = next.UtcDateTime;
                r.LastRefreshAt = now.UtcDateTime;
                r.LastRefreshError = null;
                r.RefreshFailures = 0;
                r.RefreshEverySeconds = (int)every.TotalSeconds;
                if (newEnvironment is not null)
                {
                    r.SealedHelperEnv = newEnvironment.Count == 0 ? null : secrets.Seal(HelperEnvironment.Format(newEnvironment), CredentialRecord.HelperEnvBinding(r.Id));
                }

                if (changed)
                {
                    r.Username = username;
                    r.SealedSecret = secrets.Seal(run.Secret!, r.SecretBinding());
                    r.Revision = d.Next(LeaderDatabase.CredentialRevision);
                    r.UpdatedAt = now.UtcDateTime;
                    Audit(d, actor, action, r.Name, r.Revision,
                        newEnvironment is null ? "new token from the helper" : $"helper environment replaced (env-keys={string.Join(',', newEnvironment.Keys.Order(StringComparer.Ordinal))}), new token from the helper");
                }

                d.Credentials.Update(r);
                return r;
            });
            if (saved is not null && run.Ok && saved.Revision != record.Revision)
            {
                credentials.Publish(new CredentialChange(saved.Id, saved.Name, saved.Revision, Removed: false));
            }

            return saved;
        }, cancellationToken);

        if (outcome is null)
        {
            return (HelperRun.Failed($"registry '{record.Name}' was removed or changed while its helper ran"), null);
        }

        if (run.Ok)
        {
            Log.Refreshed(log, outcome.Name, outcome.Revision, outcome.ExpiresAt!.Value, outcome.NextRefreshAt!.Value);
        }
        else
        {
            var expired = outcome.ExpiresAt is { } exp && exp <= time.GetUtcNow().UtcDateTime;
            Log.RefreshFailed(log, outcome.Name, outcome.RefreshFailures, outcome.NextRefreshAt!.Value, expired, run.Error!);
        }

        ScheduleChanged?.Invoke();
        return (run, CredentialService.ViewOf(outcome));
    }

    // InvalidArgument naming the value: under HelperOptions.MinimumRefreshEvery or over 30 days.
    public static TimeSpan ValidRefreshEvery(TimeSpan every)
    {
        if (every != TimeSpan.Zero && every < HelperOptions.MinimumRefreshEvery)
        {
            throw new OperationException(OperationError.InvalidArgument,
                $"--refresh-every {every.TotalSeconds:0.###}s is too short: the minimum is {HelperOptions.MinimumRefreshEvery.TotalSeconds:0} s (leave it out to refresh at half the token's life)");
        }

        if (every > TimeSpan.FromDays(30))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--refresh-every {Durations.Format(every)} is over 30 days; short-lived tokens need refreshing far more often (leave it out to refresh at half the token's life)");
        }

        return every;
    }

    // What Docker gives a helper on stdin: the registry host (Docker Hub's legacy address).
    private static string ServerAddress(string url) => ProviderRules.EngineServerAddress(CredentialService.HostOf(url));

    private void Audit(LeaderDatabase d, string actor, string action, string target, long revision, string details) =>
        d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = action, Target = target, Revision = revision, Details = details });

    private static partial class Log
    {
        [LoggerMessage(2720, LogLevel.Information, "registry {Name} added with helper {Helper}, revision {Revision}, token expires {ExpiresAt:u}, next refresh {NextRefresh:u}")]
        public static partial void Added(ILogger logger, string name, string helper, long revision, DateTime expiresAt, DateTime nextRefresh);

        [LoggerMessage(2721, LogLevel.Warning, "registry {Name} not added: its helper {Helper} failed")]
        public static partial void AddRefused(ILogger logger, string name, string helper);

        [LoggerMessage(2722, LogLevel.Information, "registry {Name} refreshed by its helper, revision {Revision}, token expires {ExpiresAt:u}, next refresh {NextRefresh:u}")]
        public static partial void Refreshed(ILogger logger, string name, long revision, DateTime expiresAt, DateTime nextRefresh);

        [LoggerMessage(2723, LogLevel.Warning, "registry {Name}: refresh failed ({Failures} in a row), keeping the last token, retry at {Retry:u}, token expired {Expired}: {Error}")]
        public static partial void RefreshFailed(ILogger logger, string name, int failures, DateTime retry, bool expired, string error);
    }
}
