using System.Collections.Concurrent;
using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Credentials;
using Cluster.Leader.Deployments;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// The poller. One loop iteration: read the apps with Auto-Sync on, fold them into unique refs
// (SyncPlanner), run the checks that are due (bounded concurrency), decide per app
// (SyncDecider) and start deployments through the normal DeploymentOrchestrator path.
// Guarantees:
// - a failed check (registry down, 429, 503, bad credentials) never starts a deployment and
//   shows as "failed" with the registry's own message, never as "unchanged";
// - the digest deployed is always resolved from the registry (here, and again by the
//   orchestrator); nothing a webhook sends is used as a digest;
// - a crash inside one iteration is logged and the loop goes on after a short pause.
public sealed partial class AutoSyncService(
    LeaderDatabase db,
    CredentialService credentials,
    RegistryClient registry,
    DeploymentOrchestrator deployments,
    SyncPlanner planner,
    AutoSyncOptions options,
    TimeProvider time,
    ILogger<AutoSyncService> log) : BackgroundService
{
    private static readonly TimeSpan FollowUpPoll = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, AppState> _apps = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private Dictionary<SyncRef, List<AppRecord>> _watched = [];

    // The interval an app is checked at: its own, else the cluster's.
    public TimeSpan IntervalOf(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.SyncIntervalSeconds > 0 ? TimeSpan.FromSeconds(app.SyncIntervalSeconds) : options.Interval;
    }

    public TimeSpan ClusterInterval => options.Interval;

    public AppSyncStatus? StatusOf(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.AutoSync || app.Source != "image")
        {
            return null;
        }

        var next = planner.Status(SyncRef.Of(app.Image, app.Tag))?.NextDue;
        if (!_apps.TryGetValue(app.Id, out var state))
        {
            return new AppSyncStatus(null, "pending", "", "", "", "", next);
        }

        lock (state)
        {
            return new AppSyncStatus(state.LastCheckAt, state.Result, state.Error, state.Digest, state.Trigger, state.Deployment, state.HoldUntil ?? next);
        }
    }

    // A webhook delivery: check now every watched ref that matches one of the hints
    // (repository, optional tag), or every watched ref when the delivery names none. Returns how
    // many refs will be checked. Only a check follows; the registry's answer decides.
    public int Trigger(IReadOnlyCollection<(string Repository, string? Tag)> hints, string source)
    {
        ArgumentNullException.ThrowIfNull(hints);
        Refresh();
        var matched = planner.Poke(r => hints.Count == 0 || hints.Any(h => Matches(r, h.Repository, h.Tag)), source);
        if (matched > 0)
        {
            _wake.Release();
        }

        return matched;
    }

    // Repository names from webhooks come as the registry saw them ("deploy/web"), or as Docker
    // Hub names them ("library/nginx", "acme/web"): compare by full path or path suffix.
    private static bool Matches(SyncRef r, string repository, string? tag) =>
        (string.Equals(r.Repository, repository, StringComparison.Ordinal) || r.Repository.EndsWith("/" + repository, StringComparison.Ordinal) ||
         string.Equals($"{r.Registry}/{r.Repository}", repository, StringComparison.Ordinal)) &&
        (tag is null || string.Equals(r.Tag, tag, StringComparison.Ordinal));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Started(log, options.Interval.TotalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Refresh();
                ReleaseFollowUps();
                var due = planner.TakeDue();
                if (due.Count > 0)
                {
                    using var gate = new SemaphoreSlim(options.Concurrency);
                    await Task.WhenAll(due.Select(async d =>
                    {
                        await gate.WaitAsync(stoppingToken);
                        try
                        {
                            await CheckAsync(d, stoppingToken);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }));
                    continue;
                }

                await SleepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Log.LoopFailed(log, e.GetType().Name, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    // Re-reads the watched apps and hands their refs to the planner.
    private void Refresh()
    {
        var apps = db.Read(d => d.Apps.Find(a => a.AutoSync).ToList())
            .Where(a => a.Source == "image" && a.Image.Length > 0 && a.PinnedDigest.Length == 0)
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
        var watched = new Dictionary<SyncRef, List<AppRecord>>();
        foreach (var app in apps)
        {
            var key = SyncRef.Of(app.Image, app.Tag);
            if (!watched.TryGetValue(key, out var list))
            {
                watched[key] = list = [];
            }

            list.Add(app);
        }

        planner.Reconcile(apps.Select(a => (SyncRef.Of(a.Image, a.Tag), IntervalOf(a))));
        Volatile.Write(ref _watched, watched);
        foreach (var gone in _apps.Keys.Where(id => !apps.Any(a => a.Id == id)).ToList())
        {
            _apps.TryRemove(gone, out _);
        }
    }

    // Absorbed triggers whose deployment has ended, and holds whose interval has passed, turn
    // into one more check of their ref.
    private void ReleaseFollowUps()
    {
        var now = time.GetUtcNow();
        foreach (var (ref_, apps) in Volatile.Read(ref _watched))
        {
            foreach (var app in apps)
            {
                if (!_apps.TryGetValue(app.Id, out var state))
                {
                    continue;
                }

                bool poke;
                lock (state)
                {
                    poke = (state.FollowUp && !IsDeploying(app.Id)) || state.HoldUntil <= now;
                    if (poke)
                    {
                        state.FollowUp = false;
                        state.HoldUntil = null;
                    }
                }

                if (poke)
                {
                    planner.Poke(r => r == ref_, "follow-up");
                }
            }
        }
    }

    private async Task SleepAsync(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var wake = planner.NextDue() ?? now + options.Interval;
        foreach (var state in _apps.Values)
        {
            lock (state)
            {
                if (state.FollowUp)
                {
                    wake = wake < now + FollowUpPoll ? wake : now + FollowUpPoll;
                }

                if (state.HoldUntil is { } hold && hold < wake)
                {
                    wake = hold;
                }
            }
        }

        var delay = wake - now;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sleep = Task.Delay(delay, time, cancel.Token);
        var poked = _wake.WaitAsync(cancel.Token);
        await Task.WhenAny(sleep, poked);
        await cancel.CancelAsync();
        try
        {
            await Task.WhenAll(sleep, poked);
        }
        catch (OperationCanceledException)
        {
            // the loser of the race
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    private async Task CheckAsync(DueCheck due, CancellationToken cancellationToken)
    {
        if (!Volatile.Read(ref _watched).TryGetValue(due.Ref, out var apps) || apps.Count == 0)
        {
            planner.Complete(due.Ref, CheckOutcome.Failed("no app watches this image any more"));
            return;
        }

        var outcome = await ResolveAsync(due.Ref, apps[0], cancellationToken);
        var status = planner.Complete(due.Ref, outcome);
        if (outcome.Ok)
        {
            Log.Checked(log, due.Ref.ToString(), outcome.Digest!, apps.Count, due.PokedBy ?? "interval");
        }
        else
        {
            Log.CheckFailed(log, due.Ref.ToString(), outcome.Error, status?.NextDue.ToString("O") ?? "-");
        }

        var trigger = due.PokedBy is { } by && by.StartsWith("webhook:", StringComparison.Ordinal) ? "webhook" : "auto-sync";
        foreach (var app in apps)
        {
            Apply(app, outcome, trigger, due.PokedBy);
        }
    }

    private async Task<CheckOutcome> ResolveAsync(SyncRef syncRef, AppRecord app, CancellationToken cancellationToken)
    {
        try
        {
            var image = ImageReference.Parse($"{app.Image}:{app.Tag}");
            var (login, insecure) = LoginFor(app, image);
            var host = RegistryHost.Parse(image.Registry, insecure);
            // HEAD where the registry allows it (Docker Hub does not count it), GET where HEAD is refused.
            var result = await registry.ProbeDigestAsync(host, image, login, cancellationToken);
            var outcome = result.Check.Ok
                ? CheckOutcome.Found(result.Value!.Digest)
                : CheckOutcome.Failed(result.Check.Message, result.Check.RetryAfter);
            return outcome with { RateLimitRemaining = result.Check.RateLimit?.Remaining, RateLimitWindow = result.Check.RateLimit?.Window };
        }
        catch (OperationException e)
        {
            // The app's credential was removed or cannot be opened: a failed check, said so.
            return CheckOutcome.Failed($"cannot check {syncRef}: {e.Message}");
        }
        catch (FormatException e)
        {
            return CheckOutcome.Failed($"cannot check {syncRef}: {e.Message}");
        }
    }

    // The app's own credential, else the keyring's most specific match, else anonymous: the same
    // choice the deployment itself makes.
    private (RegistryLogin? Login, bool Insecure) LoginFor(AppRecord app, ImageReference image)
    {
        if (app.Registry.Length > 0)
        {
            return (credentials.LoginOf(app.Registry), credentials.Get(app.Registry).Insecure);
        }

        var ring = new CredentialKeyring<CredentialView>();
        foreach (var c in credentials.List())
        {
            ring.Add(c.Url, c);
        }

        return ring.Lookup(image) is [var best, ..] ? (credentials.LoginOf(best.Name), best.Insecure) : (null, false);
    }

    private void Apply(AppRecord app, CheckOutcome outcome, string trigger, string? pokedBy)
    {
        var state = _apps.GetOrAdd(app.Id, _ => new AppState());
        var now = time.GetUtcNow();
        lock (state)
        {
            state.LastCheckAt = now;
            state.Trigger = trigger;
            if (!outcome.Ok)
            {
                state.Result = "failed";
                state.Error = outcome.Error;
                return;
            }

            state.Digest = outcome.Digest!;
            state.Error = "";
        }

        var current = db.Read(d => d.Apps.FindById(app.Id));
        if (current is null || !current.AutoSync)
        {
            return;
        }

        AppSyncFacts facts;
        lock (state)
        {
            facts = new AppSyncFacts(current.Digest, IsDeploying(app.Id), IntervalOf(current), state.LastAutoDeployAt, state.LastFailedDigest);
        }

        var (verdict, holdUntil) = SyncDecider.Decide(facts, outcome.Digest!, now);
        if (verdict == SyncVerdict.Deploy)
        {
            verdict = StartDeployment(current, state, outcome.Digest!, trigger, pokedBy);
        }

        lock (state)
        {
            state.Result = verdict switch
            {
                SyncVerdict.Unchanged => "unchanged",
                SyncVerdict.Deploy => "new-digest",
                SyncVerdict.Absorbed => "absorbed",
                SyncVerdict.Held => "held",
                SyncVerdict.Skipped => "skipped",
                SyncVerdict.NotDeployed => "not-deployed",
                _ => "failed",
            };
            switch (verdict)
            {
                case SyncVerdict.Absorbed:
                    state.FollowUp = true;
                    break;
                case SyncVerdict.Held:
                    state.HoldUntil = holdUntil;
                    break;
                case SyncVerdict.Skipped:
                    state.Error = $"the Auto-Sync deployment of {outcome.Digest} failed; waiting for the tag to move (or deploy by hand)";
                    break;
                case SyncVerdict.NotDeployed:
                    state.Error = $"never deployed: run `clusterctl deploy {current.Name}` once; Auto-Sync then follows {current.Tag}";
                    break;
            }
        }

        Log.Decided(log, current.Name, outcome.Digest!, state.Result);
    }

    private SyncVerdict StartDeployment(AppRecord app, AppState state, string digest, string trigger, string? pokedBy)
    {
        var actor = trigger == "webhook" ? pokedBy! : "auto-sync";
        try
        {
            var (id, _, done) = deployments.Start(new DeploymentRequest(app.Name, null, actor)
            {
                Trigger = trigger == "webhook" ? DeploymentTrigger.Webhook : DeploymentTrigger.AutoSync,
                SeenDigest = digest,
            });
            lock (state)
            {
                state.LastAutoDeployAt = time.GetUtcNow();
                state.Deployment = id;
            }

            Log.Deploying(log, app.Name, app.Digest, digest, id, trigger);
            _ = done.ContinueWith(t => Finished(state, digest, t), TaskScheduler.Default);
            return SyncVerdict.Deploy;
        }
        catch (OperationException e) when (e.Error == OperationError.FailedPrecondition)
        {
            // Another deployment started between the check and now: it absorbs this trigger.
            return SyncVerdict.Absorbed;
        }
        catch (OperationException e)
        {
            lock (state)
            {
                state.Error = $"could not start a deployment: {e.Message}";
            }

            return SyncVerdict.Skipped;
        }
    }

    private static void Finished(AppState state, string digest, Task<DeploymentRecord> done)
    {
        var record = done.IsCompletedSuccessfully ? done.Result : null;
        lock (state)
        {
            if (record?.Status == DeploymentStatus.Succeeded)
            {
                state.LastFailedDigest = null;
                return;
            }

            state.LastFailedDigest = digest;
            state.Result = "skipped";
            state.Error = $"Auto-Sync deployment {record?.Id ?? state.Deployment} of {digest} failed: {record?.Error ?? "crashed"}; waiting for the tag to move (or deploy by hand)";
        }
    }

    private bool IsDeploying(string appId) => db.Read(d => d.Deployments.Exists(LiteDB.Query.And(
        LiteDB.Query.EQ(nameof(DeploymentRecord.AppId), appId),
        LiteDB.Query.EQ(nameof(DeploymentRecord.Status), DeploymentStatus.Running.ToWord()))));

    // Per-app memory of Auto-Sync (not persisted: after a leader restart the first check
    // rebuilds it, and the running digest, which decides, is in the app record).
    private sealed class AppState
    {
        public DateTimeOffset? LastCheckAt { get; set; }

        public string Result { get; set; } = "pending";

        public string Error { get; set; } = "";

        public string Digest { get; set; } = "";

        public string Trigger { get; set; } = "";

        public string Deployment { get; set; } = "";

        public bool FollowUp { get; set; }

        public DateTimeOffset? HoldUntil { get; set; }

        public DateTimeOffset? LastAutoDeployAt { get; set; }

        public string? LastFailedDigest { get; set; }
    }
}
