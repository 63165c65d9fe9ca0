using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Credentials;

// Registry credentials on the leader: validated, verified against the registry BEFORE anything
// is stored, sealed with SecretBox, versioned by the cluster-wide credential revision, audited.
// Every refusal is an OperationException thrown before the database is touched.
// A credential-less entry (empty Username, no secret) declares a registry: its URL scope and
// whether it is insecure; the leader pulls through it anonymously, and agents never receive it
// (there is nothing for their engines to log in with), exactly as push-only entries.
public sealed partial class CredentialService(
    LeaderDatabase db,
    SecretBox secrets,
    RegistryClient registry,
    ClusterSettings settings,
    ICredentialUsers users,
    TimeProvider time,
    ILogger<CredentialService> log) : IDisposable
{
    // Registry tokens in the wild (ECR, GCP JSON keys, Azure) stay well under this.
    public const int MaxSecretBytes = 16 * 1024;

    private readonly SemaphoreSlim _changes = new(1, 1);

    // Records whose secret did not open, with the sealed value that did not: said once each.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _unopenable = new(StringComparer.Ordinal);

    // Raised after a change has committed. Handlers must not throw or block.
    public event Action<CredentialChange>? Changed;

    public IReadOnlyList<CredentialView> List() =>
        db.Read(d => d.Credentials.FindAll().OrderBy(c => c.Name, StringComparer.Ordinal).Select(View).ToList());

    public CredentialView Get(string name) => View(Find(name));

    public long CurrentRevision => db.Read(d => d.Current(LeaderDatabase.CredentialRevision));

    // The credential with its secret, for code that must send it (verification, agents), or null
    // for a credential-less entry (pull anonymously). Never log it.
    public RegistryLogin? LoginOf(string name) => Login(Find(name));

    // What node agents may hold, read in one consistent view with the revision it reflects:
    // every credential except push-only ones, with its secret. A credential whose secret does
    // not open for it (OpenOrNull) is left out, so the others are still served.
    public (long Revision, IReadOnlyList<(CredentialView Credential, string Secret)> Credentials) PullSnapshot() =>
        db.Read(d => (
            d.Current(LeaderDatabase.CredentialRevision),
            (IReadOnlyList<(CredentialView, string)>)d.Credentials.FindAll()
                .Where(c => !c.PushOnly && !IsAnonymous(c))
                .OrderBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => (Credential: View(c), Secret: OpenOrNull(c)))
                .Where(c => c.Secret is not null)
                .Select(c => (c.Credential, c.Secret!))
                .ToList()));

    // One credential for an agent by id, or null when it no longer exists, is push-only, has
    // no credentials or its secret does not open (the agent is told to drop it).
    public (CredentialView Credential, string Secret)? PullCredential(string id) =>
        db.Read(d => d.Credentials.FindById(id) is { PushOnly: false } c && !IsAnonymous(c) && OpenOrNull(c) is { } secret ? (View(c), secret) : ((CredentialView, string)?)null);

    // A stored secret that does not open for its record (its sealed value was swapped with
    // another record's or altered in the database file, or its key is gone) is never used: the
    // record's own secret cannot be had, and no other record's secret is ever taken in its
    // place (SecretBox binds each to its record id, URL and username). The leader says so in
    // its log at start (SecretCheck) and once per sealed value here; callers that serve several
    // credentials skip it, callers that need this one get OpenOrThrow's error.
    private string? OpenOrNull(CredentialRecord record)
    {
        try
        {
            return secrets.Open(record.SealedSecret, record.SecretBinding());
        }
        catch (CryptographicException e)
        {
            if (_unopenable.GetValueOrDefault(record.Id) != record.SealedSecret)
            {
                _unopenable[record.Id] = record.SealedSecret;
                Log.SecretDoesNotOpen(log, record.Name, record.Id, e.Message);
            }

            return null;
        }
    }

    private string OpenOrThrow(CredentialRecord record) =>
        OpenOrNull(record) ?? throw new OperationException(OperationError.FailedPrecondition,
            $"registry '{record.Name}' (record {record.Id}) cannot be used: its stored password does not open for it (it was altered or swapped in the database file, or its key is gone), " +
            $"so the leader will not send it anywhere; set it again: `clusterctl registry update {record.Name} --password-stdin`");

    public async Task<CredentialView> AddAsync(NewCredential request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = ValidName(request.Name);
        var provider = ValidProvider(request.Provider);
        var url = ValidUrl(provider, request.Url, request.Insecure);
        var username = "";
        if (request.Anonymous)
        {
            if (!string.IsNullOrEmpty(request.Username) || !string.IsNullOrEmpty(request.Secret))
            {
                throw new OperationException(OperationError.InvalidArgument,
                    "a registry without credentials takes neither --username nor a password; give both (--username U --password-stdin) or neither");
            }

            if (request.PushOnly)
            {
                throw new OperationException(OperationError.InvalidArgument, "--push-only needs credentials: build servers push with them; give --username and --password-stdin");
            }
        }
        else
        {
            username = ValidUsername(provider, request.Username);
            ValidSecret(request.Secret);
        }

        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (db.Read(d => d.Credentials.FindOne(c => c.Name == name)) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"registry '{name}' already exists; change it with `clusterctl registry update {name}` or pick another name");
            }

            DateTime? verifiedAt = null;
            if (!request.NoVerify)
            {
                var login = request.Anonymous ? null : new RegistryLogin(ProviderRules.EngineServerAddress(HostOf(url)), username, request.Secret);
                await VerifyOrThrowAsync(name, provider, url, request.Insecure, login, pushNamespace: null, cancellationToken);
                verifiedAt = time.GetUtcNow().UtcDateTime;
            }

            var record = db.Write(d =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                var id = Guid.NewGuid().ToString("N");
                var created = new CredentialRecord
                {
                    Id = id,
                    Name = name,
                    Provider = RegistryProviders.CliName(provider),
                    Url = url,
                    Username = username,
                    SealedSecret = request.Anonymous ? "" : secrets.Seal(request.Secret, CredentialRecord.Binding(id, url, username)),
                    Insecure = request.Insecure,
                    PushOnly = request.PushOnly,
                    Revision = d.Next(LeaderDatabase.CredentialRevision),
                    VerifiedAt = verifiedAt,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                d.Credentials.Insert(created);
                AuditChange(d, actor, "registry.add", name, created.Revision, $"provider={created.Provider} url={url} username={(request.Anonymous ? "(none: anonymous)" : username)} insecure={request.Insecure} verified={verifiedAt is not null} push-only={request.PushOnly}");
                return created;
            });
            Log.Added(log, name, record.Url, record.Revision, verifiedAt is not null);
            Changed?.Invoke(new CredentialChange(record.Id, name, record.Revision, Removed: false));
            return View(record);
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task<CredentialView> UpdateAsync(string name, string? username, string? secret, bool noVerify, string actor, CancellationToken cancellationToken)
    {
        if (username is null && secret is null)
        {
            throw new OperationException(OperationError.InvalidArgument, "nothing to update: give --username and/or --password-stdin");
        }

        if (secret is not null)
        {
            ValidSecret(secret);
        }

        await _changes.WaitAsync(cancellationToken);
        try
        {
            var current = Find(name);
            RefuseStaticUpdateOfHelper(current);
            var provider = ValidProvider(current.Provider);
            if (IsAnonymous(current) && (username is null || secret is null))
            {
                throw new OperationException(OperationError.InvalidArgument,
                    $"registry '{name}' has no credentials; to add them give both --username and --password-stdin");
            }

            var newUsername = username is null ? current.Username : ValidUsername(provider, username);
            var newSecret = secret ?? OpenOrThrow(current);
            DateTime? verifiedAt = null;
            if (!noVerify)
            {
                await VerifyOrThrowAsync(current.Name, provider, current.Url, current.Insecure,
                    new RegistryLogin(ProviderRules.EngineServerAddress(HostOf(current.Url)), newUsername, newSecret),
                    PushNamespaceFor(current.Name), cancellationToken);
                verifiedAt = time.GetUtcNow().UtcDateTime;
            }

            var updated = db.Write(d =>
            {
                var record = d.Credentials.FindById(current.Id) ?? throw NotFound(name);
                record.Username = newUsername;
                record.SealedSecret = secrets.Seal(newSecret, record.SecretBinding());
                record.Revision = d.Next(LeaderDatabase.CredentialRevision);
                record.VerifiedAt = verifiedAt;
                record.UpdatedAt = time.GetUtcNow().UtcDateTime;
                d.Credentials.Update(record);
                AuditChange(d, actor, "registry.update", record.Name, record.Revision,
                    $"username {(username is null ? "unchanged" : "set")}, secret {(secret is null ? "unchanged" : "replaced")}, verified={verifiedAt is not null}");
                return record;
            });
            Log.Updated(log, updated.Name, updated.Revision, verifiedAt is not null);
            Changed?.Invoke(new CredentialChange(updated.Id, updated.Name, updated.Revision, Removed: false));
            return View(updated);
        }
        finally
        {
            _changes.Release();
        }
    }

    // Checks the stored credential from the leader now. Records verifiedAt on success; a failure
    // is reported, not thrown, and changes nothing (the credential may be fine from the nodes).
    public async Task<(CredentialView Credential, RegistryCheck Check)> VerifyAsync(string name, string actor, CancellationToken cancellationToken)
    {
        var record = Find(name);
        var provider = ValidProvider(record.Provider);
        var login = Login(record);
        var check = await CheckAsync(record.Name, provider, record.Url, record.Insecure, login, PushNamespaceFor(record.Name), cancellationToken);
        var saved = db.Write(d =>
        {
            var current = d.Credentials.FindById(record.Id) ?? throw NotFound(name);
            if (check.Ok)
            {
                current.VerifiedAt = time.GetUtcNow().UtcDateTime;
                d.Credentials.Update(current);
            }

            d.Audit.Insert(new AuditRecord
            {
                At = time.GetUtcNow().UtcDateTime,
                Actor = actor,
                Action = "registry.verify",
                Target = current.Name,
                Revision = current.Revision,
                Details = check.Ok ? "ok" : $"failed: {check.Failure}",
            });
            return current;
        });
        Log.Verified(log, record.Name, check.Ok, check.Ok ? "" : check.Message);
        return (View(saved), check);
    }

    public async Task<long> RemoveAsync(string name, bool force, string actor, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var record = Find(name);
            var apps = users.AppsUsing(record.Name);
            if (apps.Count > 0 && !force)
            {
                throw new OperationException(OperationError.FailedPrecondition,
                    $"registry '{record.Name}' is used by app{(apps.Count == 1 ? "" : "s")} {string.Join(", ", apps)}; point them at another credential first, or remove it anyway with --force (their next deployments will pull without it)");
            }

            if (settings.BuildRegistry == record.Name && !force)
            {
                throw new OperationException(OperationError.FailedPrecondition,
                    $"registry '{record.Name}' is the cluster's build registry; set another with `clusterctl cluster set-registry`, or remove it anyway with --force");
            }

            var revision = db.Write(d =>
            {
                var rev = d.Next(LeaderDatabase.CredentialRevision);
                d.Credentials.Delete(record.Id);
                AuditChange(d, actor, "registry.remove", record.Name, rev, apps.Count > 0 ? $"forced; was used by {string.Join(", ", apps)}" : "");
                return rev;
            });
            Log.Removed(log, record.Name, revision);
            Changed?.Invoke(new CredentialChange(record.Id, record.Name, revision, Removed: true));
            return revision;
        }
        finally
        {
            _changes.Release();
        }
    }

    // Verification of a credential against its registry: the login always, and push scope on the
    // build namespace when the credential is (or becomes) the cluster's build registry.
    // A null login checks anonymous access (a credential-less entry).
    public async Task<RegistryCheck> CheckAsync(string name, RegistryProvider provider, string url, bool insecure, RegistryLogin? login, string? pushNamespace, CancellationToken cancellationToken)
    {
        RegistryHost host;
        try
        {
            host = RegistryHost.Parse(HostOf(url), insecure);
        }
        catch (FormatException e)
        {
            return new RegistryCheck(false, RegistryFailureKind.Other, e.Message);
        }

        var check = await registry.CheckLoginAsync(host, login, cancellationToken);
        if (check.Ok && pushNamespace is not null)
        {
            var repository = PushProbeRepository(pushNamespace);
            check = await registry.CheckAccessAsync(host, repository, RegistryAccess.Push, login, cancellationToken);
            if (!check.Ok && check.Failure is RegistryFailureKind.Forbidden or RegistryFailureKind.Unauthorized)
            {
                var message = check.Message.Contains("lacks push permission", StringComparison.Ordinal)
                    ? check.Message
                    : $"token lacks push permission for {repository} on {host.Host}: {check.Message}";
                check = check with { Message = $"{message} (it needs {ProviderRules.PushPermission(provider)})" };
            }
        }

        if (!check.Ok && check.Failure == RegistryFailureKind.Unauthorized && login is not null && ProviderRules.UsernameHint(provider) is { } hint)
        {
            check = check with { Message = $"{check.Message} ({hint})" };
        }

        return check;
    }

    public void Dispose() => _changes.Dispose();

    internal static string HostOf(string url)
    {
        var slash = url.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? url : url[..slash];
    }

    // The repository used to prove push rights: a path under the build namespace that a real
    // build would also write to. The upload is cancelled at once, so nothing is left behind.
    internal static string PushProbeRepository(string buildNamespace)
    {
        var slash = buildNamespace.IndexOf('/', StringComparison.Ordinal);
        var path = slash < 0 ? "" : buildNamespace[(slash + 1)..].Trim('/');
        return path.Length == 0 ? "cluster-push-check" : path + "/cluster-push-check";
    }

    private async Task VerifyOrThrowAsync(string name, RegistryProvider provider, string url, bool insecure, RegistryLogin? login, string? pushNamespace, CancellationToken cancellationToken)
    {
        var check = await CheckAsync(name, provider, url, insecure, login, pushNamespace, cancellationToken);
        if (!check.Ok)
        {
            Log.VerificationFailed(log, name, url, check.Message);
            var error = check.Failure is RegistryFailureKind.Unreachable or RegistryFailureKind.RateLimited ? OperationError.Unavailable : OperationError.FailedPrecondition;
            throw new OperationException(error, $"registry '{name}' not saved: {check.Message}{VerifyHints.For(check, hasLogin: login is not null)}");
        }
    }

    private static bool IsAnonymous(CredentialRecord record) => record.Username.Length == 0;

    private RegistryLogin? Login(CredentialRecord record) => IsAnonymous(record)
        ? null
        : new RegistryLogin(ProviderRules.EngineServerAddress(HostOf(record.Url)), record.Username, OpenOrThrow(record));

    // One read of the settings: the registry and its namespace belong together.
    private string? PushNamespaceFor(string name) => settings.Load() is { } current && current.BuildRegistry == name ? current.BuildNamespace : null;

    private CredentialRecord Find(string name) =>
        db.Read(d => d.Credentials.FindOne(c => c.Name == name)) ?? throw NotFound(name);

    private static OperationException NotFound(string name) =>
        new(OperationError.NotFound, $"no registry named '{name}'; `clusterctl registry list` shows the stored ones");

    private static CredentialView View(CredentialRecord r) =>
        new(r.Id, r.Name, r.Provider, r.Url, r.Username, r.Insecure, r.PushOnly, r.Revision, r.VerifiedAt is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null, Helpers.HelperState.Of(r));

    private void AuditChange(LeaderDatabase d, string actor, string action, string target, long revision, string details) =>
        d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = action, Target = target, Revision = revision, Details = details });

    private static string ValidName(string? name)
    {
        if (name is null || !NamePattern().IsMatch(name))
        {
            throw new OperationException(OperationError.InvalidArgument,
                $"registry name '{name}' is not valid: use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. ghcr-acme)");
        }

        return name;
    }

    private static RegistryProvider ValidProvider(string? provider) =>
        provider is not null && RegistryProviders.TryParseCliName(provider, out var parsed)
            ? parsed
            : throw new OperationException(OperationError.InvalidArgument,
                $"unknown provider '{provider}'; use one of dockerhub, ghcr, gitlab, ecr, acr, digitalocean, quay, generic");

    private static string ValidUrl(RegistryProvider provider, string? url, bool insecure) =>
        ProviderRules.TryNormalizeUrl(provider, url, insecure, out var normalized, out var error)
            ? normalized
            : throw new OperationException(OperationError.InvalidArgument, error!);

    private static string ValidUsername(RegistryProvider provider, string? username)
    {
        if (!string.IsNullOrWhiteSpace(username))
        {
            return username.Trim();
        }

        return ProviderRules.DefaultUsername(provider) ?? throw new OperationException(OperationError.InvalidArgument,
            $"--username is required for provider {RegistryProviders.CliName(provider)}" + (ProviderRules.UsernameHint(provider) is { } hint ? $" ({hint})" : ""));
    }

    private static void ValidSecret(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrWhiteSpace(secret))
        {
            throw new OperationException(OperationError.InvalidArgument,
                "the password is empty: pipe it on stdin, e.g. printf '%s' \"$TOKEN\" | clusterctl registry add ... --password-stdin");
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(secret);
        if (bytes > MaxSecretBytes)
        {
            throw new OperationException(OperationError.InvalidArgument,
                $"the password is {bytes} bytes; registry passwords and tokens are at most {MaxSecretBytes} bytes here: check that stdin holds only the token");
        }
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9._-]{0,62}\z")]
    private static partial Regex NamePattern();

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "registry {Name} added ({Url}), revision {Revision}, verified {Verified}")]
        public static partial void Added(ILogger logger, string name, string url, long revision, bool verified);

        [LoggerMessage(201, LogLevel.Information, "registry {Name} updated, revision {Revision}, verified {Verified}")]
        public static partial void Updated(ILogger logger, string name, long revision, bool verified);

        [LoggerMessage(202, LogLevel.Information, "registry {Name} removed, revision {Revision}")]
        public static partial void Removed(ILogger logger, string name, long revision);

        [LoggerMessage(203, LogLevel.Information, "registry {Name} verified from the leader: ok {Ok} {Reason}")]
        public static partial void Verified(ILogger logger, string name, bool ok, string reason);

        [LoggerMessage(205, LogLevel.Error, "registry {Name} (record {RecordId}) is not used and not sent to any node: {Reason}; set its password again with `clusterctl registry update {Name} --password-stdin`")]
        public static partial void SecretDoesNotOpen(ILogger logger, string name, string recordId, string reason);

        [LoggerMessage(204, LogLevel.Warning, "registry {Name} ({Url}) refused: {Reason}")]
        public static partial void VerificationFailed(ILogger logger, string name, string url, string reason);
    }
}
