using System.Collections.Concurrent;
using Cluster.Core.Git;
using Cluster.Leader.Apps;
using Cluster.Leader.Deployments;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// The poller. One loop iteration (RunOnceAsync): read the apps with Auto-Sync on, fold them into
// unique refs (WatchedApps, SyncPlanner: image tags, and Git branches of apps built from Git),
// run the checks that are due (IRefChecks, bounded concurrency), decide per app (SyncDecider,
// comparing the digest or commit found with the one the app runs) and start deployments through
// the normal DeploymentOrchestrator path (for a Git app that path starts with the build step).
// Guarantees:
// - a failed check (registry down, 429, 503, bad credentials) never starts a deployment and
//   shows as "failed" with the registry's own message, never as "unchanged";
// - the digest deployed is always resolved from the registry (here, and again by the
//   orchestrator), the commit built always fetched from the branch by the build; nothing a
//   webhook sends is used as a digest or a commit;
// - a crash inside one iteration is logged and the loop goes on after a short pause.
public sealed partial class AutoSyncService(
    LeaderDatabase db,
    IRefChecks checks,
    IAutoSyncDeployer deployments,
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
        if (!app.AutoSync)
        {
            return null;
        }

        if (app.Source == AppSources.Git && AppSources.IsCommit(app.GitRef))
        {
            return new AppSyncStatus(null, "not-followed", $"--ref {app.GitRef} is a commit, which never moves: Auto-Sync follows branches", "", "", "", null);
        }

        if (WatchedApps.RefOf(app) is not { } syncRef)
        {
            return null;
        }

        var next = planner.Status(syncRef)?.NextDue;
        if (!_apps.TryGetValue(app.Id, out var state))
        {
            return new AppSyncStatus(null, "pending", "", "", "", "", next);
        }

        lock (state)
        {
            return new AppSyncStatus(state.LastCheckAt, state.Result, state.Error, state.Digest, state.Trigger, state.Deployment, state.HoldUntil ?? next);
        }
    }

    // A webhook delivery: check now every watched image ref that matches one of the hints
    // (repository, optional tag), or every watched ref (Git branches too) when the delivery names
    // none. Returns how many refs will be checked. Only a check follows; the registry's answer
    // decides.
    public int Trigger(IReadOnlyCollection<(string Repository, string? Tag)> hints, string source)
    {
        ArgumentNullException.ThrowIfNull(hints);
        return Poke(r => hints.Count == 0 || (r.Kind == SyncRefKind.Image && hints.Any(h => Matches(r, h.Repository, h.Tag))), source);
    }

    // A push to a Git repository (GitHub, GitLab push hooks): check now every watched Git ref of
    // that repository and branch. `Url` is any of the payload's clone URLs (https, ssh, scp-like);
    // host and path decide (not transport or port: a push is a push whichever URL the app uses).
    // `Branch` null matches every branch. Returns how many refs will be checked; the Git server's
    // answer to the check decides, never the payload.
    public int TriggerGit(IReadOnlyCollection<(string Url, string? Branch)> pushes, string source)
    {
        ArgumentNullException.ThrowIfNull(pushes);
        var named = pushes.Select(p => (Remote: GitRemote.TryParse(p.Url, out var remote) ? remote : null, p.Branch)).Where(p => p.Remote is not null).ToList();
        return named.Count == 0 ? 0 : Poke(r => r.Kind == SyncRefKind.Git && named.Any(p => MatchesGit(r, p.Remote!, p.Branch)), source);
    }

    private int Poke(Func<SyncRef, bool> match, string source)
    {
        Refresh();
        var matched = planner.Poke(match, source);
        if (matched > 0)
        {
            _wake.Release();
        }

        return matched;
    }

    // Same host and repository path (SyncRef.RepositoryPath: no ".git", case ignored); the ref's
    // branch, or any push when the ref follows the default branch (the payload's idea of the
    // default branch is not trusted to rule a check out).
    private static bool MatchesGit(SyncRef r, GitRemote pushed, string? branch)
    {
        if (!GitRemote.TryParse(r.Repository, out var watched) || watched!.Host != pushed.Host ||
            SyncRef.RepositoryPath(watched.Path) != SyncRef.RepositoryPath(pushed.Path))
        {
            return false;
        }

        return branch is null || r.Tag.Length == 0 || string.Equals(r.Tag, branch, StringComparison.Ordinal);
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
                if (await RunOnceAsync(stoppingToken) > 0)
                {
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

    // One iteration: refresh the watched refs, turn ended absorptions and passed holds into
    // checks, run every check that is due and decide. Returns how many checks ran. The loop
    // calls it; tests call it on a fake clock.
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        Refresh();
        ReleaseFollowUps();
        var due = planner.TakeDue();
        if (due.Count == 0)
        {
            return 0;
        }

        using var gate = new SemaphoreSlim(options.Concurrency);
        await Task.WhenAll(due.Select(async d =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await CheckAsync(d, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        return due.Count;
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    // Re-reads the watched apps and hands their refs to the planner.
    private void Refresh()
    {
        var watched = WatchedApps.Of(db.Read(d => d.Apps.Find(a => a.AutoSync).ToList()));
        planner.Reconcile(watched.SelectMany(w => w.Value.Select(a => (w.Key, IntervalOf(a)))));
        Volatile.Write(ref _watched, watched);
        var ids = watched.Values.SelectMany(a => a).Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _apps.Keys.Where(id => !ids.Contains(id)).ToList())
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
            var states = apps.Select(a => (App: a, State: _apps.GetValueOrDefault(a.Id))).Where(s => s.State is not null).ToList();
            // Apps on one ref share its check: their follow-ups wait until every absorbing
            // deployment of the ref has ended, then make one check (not one per app).
            var waiting = states.Any(s => FollowUpPending(s.State!) && IsDeploying(s.App.Id));
            var poke = false;
            foreach (var (_, state) in states)
            {
                lock (state!)
                {
                    var release = (state.FollowUp && !waiting) || state.HoldUntil <= now;
                    if (release)
                    {
                        state.FollowUp = false;
                        state.HoldUntil = null;
                        poke = true;
                    }
                }
            }

            if (poke)
            {
                planner.Poke(r => r == ref_, "follow-up");
            }
        }
    }

    private static bool FollowUpPending(AppState state)
    {
        lock (state)
        {
            return state.FollowUp;
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
            planner.Complete(due.Ref, CheckOutcome.Failed("no app watches this ref any more"));
            return;
        }

        var outcome = await checks.CheckAsync(due.Ref, apps[0], cancellationToken);
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

        var git = current.Source == AppSources.Git;
        AppSyncFacts facts;
        lock (state)
        {
            facts = new AppSyncFacts(git ? RunningCommit(current) : current.Digest, IsDeploying(app.Id), IntervalOf(current), state.LastAutoDeployAt, state.LastFailedDigest);
        }

        var (verdict, holdUntil) = SyncDecider.Decide(facts, outcome.Digest!, now);
        if (verdict == SyncVerdict.Deploy)
        {
            verdict = StartDeployment(current, state, facts.DeployedDigest, outcome.Digest!, trigger, pokedBy);
        }

        lock (state)
        {
            state.Result = verdict switch
            {
                SyncVerdict.Unchanged => "unchanged",
                SyncVerdict.Deploy => git ? "new-commit" : "new-digest",
                SyncVerdict.Absorbed => "absorbed",
                SyncVerdict.Held => "held",
                SyncVerdict.Skipped => "skipped",
                SyncVerdict.NotDeployed => "not-deployed",
                _ => "failed",
            };
            switch (verdict)
            {
                case SyncVerdict.Absorbed:
                    // A re-check after the running deployment only helps if this check saw
                    // something that deployment does not bring: the running deployment is
                    // Auto-Sync's own for this very digest -> nothing to follow up (with N apps
                    // on a ref, that was N extra checks after every change).
                    state.FollowUp |= !string.Equals(state.DeployingDigest, outcome.Digest, StringComparison.Ordinal);
                    break;
                case SyncVerdict.Held:
                    state.HoldUntil = holdUntil;
                    break;
                case SyncVerdict.Skipped:
                    state.Error = $"the Auto-Sync deployment of {outcome.Digest} failed; waiting for the {(git ? "branch" : "tag")} to move (or deploy by hand)";
                    break;
                case SyncVerdict.NotDeployed:
                    state.Error = $"never deployed: run `clusterctl deploy {current.Name}` once; Auto-Sync then follows {(git ? (current.GitRef.Length > 0 ? "branch " + current.GitRef : "the default branch") : current.Tag)}";
                    break;
            }
        }

        Log.Decided(log, current.Name, outcome.Digest!, state.Result);
    }

    private SyncVerdict StartDeployment(AppRecord app, AppState state, string running, string digest, string trigger, string? pokedBy)
    {
        var actor = trigger == "webhook" ? pokedBy! : "auto-sync";
        try
        {
            var (id, done) = deployments.Start(new DeploymentRequest(app.Name, null, actor)
            {
                Trigger = trigger == "webhook" ? DeploymentTrigger.Webhook : DeploymentTrigger.AutoSync,
                SeenDigest = digest,
            });
            lock (state)
            {
                state.LastAutoDeployAt = time.GetUtcNow();
                state.Deployment = id;
                state.DeployingDigest = digest;
            }

            Log.Deploying(log, app.Name, running, digest, id, trigger);
            var moves = app.Source == AppSources.Git ? "branch" : "tag";
            _ = done.ContinueWith(t => Finished(state, digest, moves, t), TaskScheduler.Default);
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

    private static void Finished(AppState state, string digest, string moves, Task<DeploymentRecord> done)
    {
        var record = done.IsCompletedSuccessfully ? done.Result : null;
        lock (state)
        {
            state.DeployingDigest = null;
            if (record?.Status == DeploymentStatus.Succeeded)
            {
                state.LastFailedDigest = null;
                return;
            }

            state.LastFailedDigest = digest;
            state.Result = "skipped";
            state.Error = $"Auto-Sync deployment {record?.Id ?? state.Deployment} of {digest} failed: {record?.Error ?? "crashed"}; waiting for the {moves} to move (or deploy by hand)";
        }
    }

    // The commit a Git app runs: the one its last successful deployment built ("" before any).
    private string RunningCommit(AppRecord app) =>
        app.LastDeployment.Length == 0 ? "" : db.Read(d => d.Deployments.FindById(app.LastDeployment))?.Commit ?? "";

    // Asks the orchestrator, not the records: a record left `running` by a failed final save
    // would otherwise absorb every later move of the app, and hold its ref's follow-up, forever.
    private bool IsDeploying(string appId) => deployments.IsRunning(appId);

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

        // The digest (or commit) of the Auto-Sync deployment running now; null when none is.
        public string? DeployingDigest { get; set; }

        public DateTimeOffset? HoldUntil { get; set; }

        public DateTimeOffset? LastAutoDeployAt { get; set; }

        public string? LastFailedDigest { get; set; }
    }
}
