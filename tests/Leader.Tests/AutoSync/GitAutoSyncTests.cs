using System.Text;
using Cluster.Leader.AutoSync;
using Cluster.Leader.Deployments;
using Cluster.Leader.Storage;
using Cluster.Leader.Webhooks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.AutoSync;

// AutoSyncService with apps built from Git, one iteration at a time on a fake clock, over a real
// LiteDB file: the branch heads come from a fake IRefChecks (the build server's ls-remote is
// BuildServer.Tests' and the lab's), deployments go to a fake IAutoSyncDeployer that writes
// deployment records as the orchestrator does.
public sealed class GitAutoSyncTests : IDisposable
{
    private const string A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("gitsync-test-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly LeaderDatabase _db;
    private readonly FakeChecks _checks = new();
    private readonly FakeDeployer _deployer;
    private readonly AutoSyncService _sync;

    public GitAutoSyncTests()
    {
        _db = new LeaderDatabase(Path.Combine(_dir, "leader.db"));
        _deployer = new FakeDeployer(_db);
        var options = new AutoSyncOptions { Jitter = 0, Interval = Interval };
        _sync = new AutoSyncService(_db, _checks, _deployer, new SyncPlanner(options, _time), options, _time, NullLogger<AutoSyncService>.Instance);
    }

    public void Dispose()
    {
        _sync.Dispose();
        _db.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task RunOnce_HeadMoves_DeploysOnceThroughTheBuildAndFollowsTheNewCommit()
    {
        var web = AddGitApp("web", "https://git.example.com/acme/web.git", "main", runningCommit: A);
        _checks.Heads["https://git.example.com/acme/web main"] = A;

        await _sync.RunOnceAsync(CancellationToken.None);
        Assert.Equal("unchanged", Status(web).Result);
        Assert.Empty(_deployer.Requests);

        _checks.Heads["https://git.example.com/acme/web main"] = B;
        _time.Advance(Interval);
        await _sync.RunOnceAsync(CancellationToken.None);

        var request = Assert.Single(_deployer.Requests);
        Assert.Equal(("web", DeploymentTrigger.AutoSync, "auto-sync", B), (request.App, request.Trigger, request.Actor, request.SeenDigest));
        Assert.Equal("new-commit", Status(web).Result);
        Assert.Equal(B, Status(web).Digest);

        // The build runs for longer than an interval: the next check sees the same new head and
        // the running deployment absorbs it.
        _time.Advance(Interval);
        await _sync.RunOnceAsync(CancellationToken.None);
        Assert.Single(_deployer.Requests);
        Assert.Equal("absorbed", Status(web).Result);

        // The running deployment is Auto-Sync's own for B: nothing to follow up when it ends.
        await _deployer.FinishAsync(0, succeeded: true, commit: B);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await _sync.RunOnceAsync(CancellationToken.None));
        _time.Advance(Interval);
        await _sync.RunOnceAsync(CancellationToken.None);

        Assert.Single(_deployer.Requests);
        Assert.Equal("unchanged", Status(web).Result);
        Assert.Equal(4, _checks.Calls.Count);
    }

    [Fact]
    public async Task RunOnce_RefSharedByThreeApps_MovesAgainDuringTheirDeployments_OneFollowUpCheck()
    {
        const string C = "cccccccccccccccccccccccccccccccccccccccc";
        const string Key = "https://git.example.com/acme/web main";
        var apps = new[] { "web", "worker", "cron" }.Select(n => AddGitApp(n, "https://git.example.com/acme/web.git", "main", runningCommit: A)).ToList();
        _checks.Heads[Key] = B;
        Assert.Equal(1, await _sync.RunOnceAsync(CancellationToken.None));
        Assert.Equal(3, _deployer.Requests.Count);

        // One interval later the three deployments still run and the branch has moved again.
        _checks.Heads[Key] = C;
        _time.Advance(Interval);
        Assert.Equal(1, await _sync.RunOnceAsync(CancellationToken.None));
        Assert.All(apps, a => Assert.Equal("absorbed", Status(a).Result));

        // They end one by one, the loop running in between; the follow-up waits for the last,
        // and the three make one check.
        _checks.Calls.Clear();
        for (var i = 0; i < 3; i++)
        {
            await _deployer.FinishAsync(i, succeeded: true, commit: B);
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(i < 2 ? 0 : 1, await _sync.RunOnceAsync(CancellationToken.None));
        }

        Assert.Equal([Key], _checks.Calls);
        Assert.Equal(6, _deployer.Requests.Count);
        Assert.All(_deployer.Requests.Skip(3), r => Assert.Equal(C, r.SeenDigest));
    }

    [Fact]
    public async Task RunOnce_CheckFails_DecidesNothingAndShowsTheFailure()
    {
        var web = AddGitApp("web", "git@git.example.com:acme/web.git", "main", runningCommit: A);
        _checks.Failure = "cannot read the branch head of git@git.example.com:acme/web.git: host key changed";

        await _sync.RunOnceAsync(CancellationToken.None);

        var status = Status(web);
        Assert.Equal("failed", status.Result);
        Assert.Contains("host key changed", status.Error, StringComparison.Ordinal);
        Assert.Empty(_deployer.Requests);
        Assert.Equal(_time.GetUtcNow() + Interval, status.NextCheck);

        // A failure is not "no change" either: once the check works, the moved head deploys.
        _checks.Failure = null;
        _checks.Heads["ssh://git@git.example.com:22/acme/web main"] = B;
        _time.Advance(Interval);
        await _sync.RunOnceAsync(CancellationToken.None);
        Assert.Equal(B, Assert.Single(_deployer.Requests).SeenDigest);
    }

    [Fact]
    public async Task TriggerGit_GitHubPushPayload_ChecksOnlyThatRepositoryAndBranch()
    {
        var web = AddGitApp("web", "git@git.example.com:acme/web.git", "main", runningCommit: A);
        AddGitApp("web-dev", "https://git.example.com/acme/web.git", "dev", runningCommit: A);
        AddGitApp("api", "https://git.example.com/acme/api.git", "main", runningCommit: A);
        _checks.Heads["ssh://git@git.example.com:22/acme/web main"] = A;
        _checks.Heads["https://git.example.com/acme/web dev"] = A;
        _checks.Heads["https://git.example.com/acme/api main"] = A;
        Assert.Equal(3, await _sync.RunOnceAsync(CancellationToken.None));
        _checks.Calls.Clear();
        _time.Advance(TimeSpan.FromSeconds(5));
        _checks.Heads["ssh://git@git.example.com:22/acme/web main"] = B;

        var hints = WebhookPayloads.Hints(WebhookKinds.GitHub, h => h == "X-GitHub-Event" ? "push" : null, Encoding.UTF8.GetBytes("""
            {"ref":"refs/heads/main","after":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "repository":{"clone_url":"https://git.example.com/acme/web.git","ssh_url":"git@git.example.com:acme/web.git","html_url":"https://git.example.com/acme/web"}}
            """))!;
        // An image-kind hint naming the same path is no Git push: it checks no branch.
        Assert.Equal(0, _sync.Trigger([("acme/web", "main")], "webhook:gh"));
        Assert.Equal(1, _sync.TriggerGit(hints.Where(h => h.Git).Select(h => (h.Repository, h.Tag)).ToList(), "webhook:gh"));
        await _sync.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["ssh://git@git.example.com:22/acme/web main"], _checks.Calls);
        var request = Assert.Single(_deployer.Requests);
        Assert.Equal(("web", DeploymentTrigger.Webhook, "webhook:gh"), (request.App, request.Trigger, request.Actor));
        Assert.Equal("webhook", Status(web).Trigger);
    }

    [Fact]
    public void StatusOf_CommitPinnedGitApp_SaysItIsNotFollowed()
    {
        var app = AddGitApp("pinned", "https://git.example.com/acme/web.git", A, runningCommit: A);

        var status = _sync.StatusOf(app)!;

        Assert.Equal("not-followed", status.Result);
        Assert.Contains("never moves", status.Error, StringComparison.Ordinal);
    }

    // The ref's follow-up waits only for the apps still watched: an app that leaves Auto-Sync (or
    // is removed) while its deployment runs must not hold the others' follow-up until it ends.
    [Fact]
    public async Task RunOnce_AppHoldingTheRefsFollowUpLeavesAutoSync_TheOthersFollowUpRuns()
    {
        const string C = "cccccccccccccccccccccccccccccccccccccccc";
        const string Key = "https://git.example.com/acme/web main";
        var apps = new[] { "web", "worker", "cron" }.Select(n => AddGitApp(n, "https://git.example.com/acme/web.git", "main", runningCommit: A)).ToList();
        _checks.Heads[Key] = B;
        Assert.Equal(1, await _sync.RunOnceAsync(CancellationToken.None));
        _checks.Heads[Key] = C;
        _time.Advance(Interval);
        Assert.Equal(1, await _sync.RunOnceAsync(CancellationToken.None));

        // Deployments start in name order (cron, web, worker): cron's and web's end, worker's runs on.
        await _deployer.FinishAsync(0, succeeded: true, commit: B);
        await _deployer.FinishAsync(1, succeeded: true, commit: B);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await _sync.RunOnceAsync(CancellationToken.None));

        _db.Write(d =>
        {
            var worker = d.Apps.FindById(apps[1].Id);
            worker.AutoSync = false;
            return d.Apps.Update(worker);
        });
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(1, await _sync.RunOnceAsync(CancellationToken.None));
        Assert.Equal([("cron", C), ("web", C)], _deployer.Requests.Skip(3).Select(r => (r.App, r.SeenDigest)));
    }

    // A deployment whose final save failed (the database refused the write at close) ended, but
    // its record still says `running`; the leader runs nothing for the app. Auto-Sync used to
    // take the record's word: every later move was "absorbed" by a deployment that no longer
    // ran, and the follow-up waited for it forever (until a leader restart).
    [Fact]
    public async Task RunOnce_EndedDeploymentLeftRunningInTheDatabase_NextMoveStillDeploys()
    {
        const string C = "cccccccccccccccccccccccccccccccccccccccc";
        const string Key = "https://git.example.com/acme/web main";
        var web = AddGitApp("web", "https://git.example.com/acme/web.git", "main", runningCommit: A);
        _checks.Heads[Key] = B;
        await _sync.RunOnceAsync(CancellationToken.None);
        Assert.Single(_deployer.Requests);

        await _deployer.EndWithoutSavingAsync(0);
        Assert.Equal(DeploymentStatus.Running, _db.Read(d => d.Deployments.FindById("web-d1")).Status);
        _checks.Heads[Key] = C;
        _time.Advance(Interval);
        await _sync.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, _deployer.Requests.Count);
        Assert.Equal(C, _deployer.Requests[1].SeenDigest);
        Assert.Equal("new-commit", Status(web).Result);
    }

    private AppRecord AddGitApp(string name, string url, string gitRef, string runningCommit)
    {
        var app = new AppRecord
        {
            Id = name + "-id", Name = name, Source = "git", GitUrl = url, GitRef = gitRef, AutoSync = true,
            Image = "10.0.0.1:5000/cluster/" + name, Tag = runningCommit[..12], Digest = "sha256:" + new string('d', 64), LastDeployment = name + "-d0",
        };
        _db.Write(d =>
        {
            d.Apps.Insert(app);
            return d.Deployments.Insert(new DeploymentRecord { Id = app.LastDeployment, AppId = app.Id, App = name, Status = DeploymentStatus.Succeeded, Commit = runningCommit });
        });
        return app;
    }

    private AppSyncStatus Status(AppRecord app) => _sync.StatusOf(_db.Read(d => d.Apps.FindById(app.Id)))!;

    // Heads keyed by "<SyncRef.Repository> <branch>".
    private sealed class FakeChecks : IRefChecks
    {
        public Dictionary<string, string> Heads { get; } = new(StringComparer.Ordinal);

        public List<string> Calls { get; } = [];

        public string? Failure { get; set; }

        public Task<CheckOutcome> CheckAsync(SyncRef syncRef, AppRecord app, CancellationToken cancellationToken)
        {
            Assert.Equal(SyncRefKind.Git, syncRef.Kind);
            var key = $"{syncRef.Repository} {syncRef.Tag}";
            lock (Calls)
            {
                Calls.Add(key);
            }

            return Task.FromResult(Failure is { } failure ? CheckOutcome.Failed(failure) : CheckOutcome.Found(Heads[key]));
        }
    }

    // Records each request and writes a running deployment record, as the orchestrator does;
    // FinishAsync ends it the way a successful or failed build-and-deploy would.
    private sealed class FakeDeployer(LeaderDatabase db) : IAutoSyncDeployer
    {
        private readonly List<(DeploymentRecord Record, TaskCompletionSource<DeploymentRecord> Done)> _started = [];

        public List<DeploymentRequest> Requests { get; } = [];

        public (string Id, Task<DeploymentRecord> Done) Start(DeploymentRequest request)
        {
            var app = db.Read(d => d.Apps.FindOne(a => a.Name == request.App));
            var record = new DeploymentRecord { Id = $"{request.App}-d{Requests.Count + 1}", AppId = app.Id, App = app.Name, Status = DeploymentStatus.Running, Trigger = request.Trigger };
            db.Write(d => d.Deployments.Insert(record));
            Requests.Add(request);
            var done = new TaskCompletionSource<DeploymentRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
            _started.Add((record, done));
            return (record.Id, done.Task);
        }

        public bool IsRunning(string appId) => _started.Any(s => s.Record.AppId == appId && !s.Done.Task.IsCompleted);

        // The deployment ends as the orchestrator's does when its final save throws: the record
        // stays `running` in the database and its end is the exception.
        public async Task EndWithoutSavingAsync(int index)
        {
            _started[index].Done.SetException(new IOException("No space left on device"));
            await Task.Delay(200);
        }

        public async Task FinishAsync(int index, bool succeeded, string commit)
        {
            var (record, done) = _started[index];
            record.Status = succeeded ? DeploymentStatus.Succeeded : DeploymentStatus.Failed;
            record.Commit = commit;
            db.Write(d =>
            {
                if (succeeded && d.Apps.FindById(record.AppId) is { } app)
                {
                    app.LastDeployment = record.Id;
                    d.Apps.Update(app);
                }

                return d.Deployments.Update(record);
            });
            done.SetResult(record);
            // Auto-Sync's continuation on the deployment's end runs on the thread pool.
            await Task.Delay(200);
        }
    }
}
