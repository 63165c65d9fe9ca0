using Cluster.BuildServer.Hosting;
using Cluster.BuildServer.Housekeeping;
using Cluster.BuildServer.Git;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Docker;
using Cluster.NodeJoin.Housekeeping;
using Cluster.Protos.Build.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.BuildServer.Tests.Housekeeping;

// A prune order racing a build on the builder's engine (issue #10 item 7): a fully cached rebuild
// resolves to an image the engine already holds (for the same commit, under the same tag), which
// the prune counts among the app's old ones; removed between build and push, the push fails. The
// real BuildRunner runs a job that is held inside its context fetch (the first thing an uploaded
// job does, with its lease taken); the prune waits for it, and a job waits for a prune under way.
public sealed class PruneDuringBuildTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _work = Directory.CreateTempSubdirectory("prune-race-").FullName;
    private readonly ImageEngine _images = new();
    private readonly BuildActivity _activity = new();
    private readonly DockerEngine _engine;
    private readonly BuildRunner _runner;
    private readonly ImageHousekeeper _housekeeper;

    public PruneDuringBuildTests()
    {
        var options = new BuilderOptions { Leader = "127.0.0.1:1", JoinToken = "", WorkDir = _work, DockerHost = new Uri("unix:///nonexistent/docker.sock") };
        _engine = new DockerEngine(options.DockerHost);
        _runner = new BuildRunner(_engine, new GitFetcher(), options, _activity, NullLogger<BuildRunner>.Instance);
        _housekeeper = new ImageHousekeeper(_images, BuilderHousekeeping.Setup(_activity), NullLogger<ImageHousekeeper>.Instance);
        // Seven builds of web, the oldest (web:c1) being the commit the running job rebuilds.
        for (var n = 1; n <= 7; n++)
        {
            _images.Images.Add(new EngineImage(
                Id(n), [$"10.0.0.5:5000/ns/web:c{n}"], [],
                new Dictionary<string, string> { ["cluster.app"] = "web", ["cluster.deployment"] = $"d{n}" }, T0.AddMinutes(n)));
        }
    }

    public void Dispose()
    {
        _housekeeper.Dispose();
        _engine.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private static PruneOrder Order(uint keep) => new(keep, []);

    private static string Id(int n) => $"sha256:{n.ToString("D64", System.Globalization.CultureInfo.InvariantCulture)}";

    private static BuildJob Job(string id) => new()
    {
        JobId = id,
        DeploymentId = "d8",
        App = "web",
        Image = "10.0.0.5:5000/ns/web",
        UploadedContext = new UploadedContext { Sha256 = new string('a', 64), SizeBytes = 10, Name = "web" },
    };

    [Fact]
    public async Task Prune_WhileAJobRuns_WaitsUntilTheJobEnds()
    {
        var inFetch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = _runner.RunAsync(Job("j1"), _ => { }, async (_, ct) =>
        {
            inFetch.SetResult();
            await release.Task.WaitAsync(ct);
        }, CancellationToken.None);
        await inFetch.Task;

        var prune = _housekeeper.PruneAsync(Order(5), CancellationToken.None);

        // Deferred: nothing listed or removed while the job holds the engine's images.
        Assert.False(prune.IsCompleted);
        Assert.False(_images.ListCalled.Task.IsCompleted);
        Assert.Empty(_images.RemoveCalls);
        Assert.Equal(1, _activity.RunningJobs);

        release.SetResult();
        await job;
        var report = await prune;

        Assert.Equal(0, _activity.RunningJobs);
        Assert.Equal(2, report.Removed.Count);
        Assert.Equal(["10.0.0.5:5000/ns/web:c1", "10.0.0.5:5000/ns/web:c2"], _images.RemoveCalls.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Job_WhileAPruneRuns_StartsOnlyAfterIt()
    {
        var pruneGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _images.ListGate = pruneGate.Task;
        var prune = _housekeeper.PruneAsync(Order(5), CancellationToken.None);
        await _images.ListCalled.Task;
        var fetched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var job = _runner.RunAsync(Job("j2"), _ => { }, (_, _) =>
        {
            fetched.TrySetResult();
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.False(fetched.Task.IsCompleted);
        Assert.False(Directory.Exists(Path.Combine(_work, "jobs", "j2")));

        pruneGate.SetResult();
        await prune;
        var result = await job;

        // The job went on after the prune (its empty upload then fails the context check).
        Assert.True(fetched.Task.IsCompleted);
        Assert.Equal("context", result.FailedStage);
    }

    [Fact]
    public async Task Prune_OrdersArrivingWhileDeferred_TheNewestOneIsUsed()
    {
        var lease = await _activity.EnterJobAsync(CancellationToken.None);
        var prune = _housekeeper.PruneAsync(Order(5), CancellationToken.None);
        _housekeeper.Request(Order(6));

        lease.Dispose();
        var report = await prune;

        Assert.Single(report.Removed);
        Assert.Equal(["10.0.0.5:5000/ns/web:c1"], _images.RemoveCalls);
    }

    // A fully cached rebuild of an old commit makes an image as old as that commit's first build.
    // The order that waited for the job was computed before it ended and does not name it; the
    // prune keeps it all the same (registry-less, its service is about to run it from this engine).
    // The prune after that follows the leader's list again.
    [Fact]
    public async Task Prune_DeferredByAJobThatMadeAnOldImage_KeepsThatImageOnce()
    {
        var job = await _activity.EnterJobAsync(CancellationToken.None);
        var prune = _housekeeper.PruneAsync(Order(5), CancellationToken.None);
        _activity.Made(Id(1), "10.0.0.5:5000/ns/web:c1");
        job.Dispose();

        var first = await prune;
        var second = await _housekeeper.PruneAsync(Order(5), CancellationToken.None);

        Assert.Equal(["10.0.0.5:5000/ns/web:c2"], first.Removed.Select(r => r.Split(' ')[0]));
        Assert.Equal(["10.0.0.5:5000/ns/web:c1"], second.Removed.Select(r => r.Split(' ')[0]));
    }

    [Fact]
    public async Task Job_CancelledWhileWaitingForAPrune_EndsCancelledWithoutStarting()
    {
        var prune = await _activity.EnterPruneAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var fetched = false;
        var job = _runner.RunAsync(Job("j3"), _ => { }, (_, _) =>
        {
            fetched = true;
            return Task.CompletedTask;
        }, cts.Token);

        await cts.CancelAsync();
        var result = await job;
        prune.Dispose();

        Assert.Equal("cancelled", result.FailedStage);
        Assert.False(fetched);
        Assert.Equal(0, _activity.RunningJobs);
        // Nothing left holding the engine: the next prune may start at once.
        var next = _activity.EnterPruneAsync(CancellationToken.None);
        Assert.True(next.IsCompletedSuccessfully);
        (await next).Dispose();
    }

    // Jobs that overlap without end (a busy builder) must not defer a prune for ever: a job that
    // arrives while a prune waits still starts, as long as a job the prune found running runs;
    // once those have all ended, new jobs wait for the prune, which runs when the rest end.
    [Fact]
    public async Task Prune_WhileJobsKeepOverlapping_RunsOnceTheJobsItFoundHaveEnded()
    {
        var first = await _activity.EnterJobAsync(CancellationToken.None);
        var prune = _housekeeper.PruneAsync(Order(5), CancellationToken.None);
        var second = await _activity.EnterJobAsync(CancellationToken.None);
        first.Dispose();

        var third = _activity.EnterJobAsync(CancellationToken.None);

        Assert.False(third.IsCompleted);
        Assert.False(prune.IsCompleted);
        second.Dispose();
        var report = await prune;
        (await third).Dispose();
        Assert.Equal(2, report.Removed.Count);
        Assert.Equal(0, _activity.RunningJobs);
    }

    // A waiting prune that gives up (its daemon stopping) no longer holds jobs back.
    [Fact]
    public async Task Job_HeldBehindAWaitingPruneThatIsCancelled_Starts()
    {
        var first = await _activity.EnterJobAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var prune = _activity.EnterPruneAsync(cts.Token);
        var second = await _activity.EnterJobAsync(CancellationToken.None);
        first.Dispose();
        var held = _activity.EnterJobAsync(CancellationToken.None);
        Assert.False(held.IsCompleted);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prune);

        // Only a guard against hanging the run: the job starts as soon as the prune is gone
        // (`second` still runs, so nothing else could let it in).
        (await held.WaitAsync(TimeSpan.FromMinutes(1))).Dispose();
        second.Dispose();
        Assert.Equal(0, _activity.RunningJobs);
    }

    // A prune that fails with something other than the engine's own error (a client timeout, a
    // reply it could not read) is logged; the housekeeper goes on with the next order, and its
    // loop (a BackgroundService, whose fault stops the daemon) does not end.
    [Fact]
    public async Task Loop_PruneFailsWithAnUnexpectedException_GoesOnWithTheNextOrder()
    {
        _images.ListFailure = new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.", new TimeoutException());
        await _housekeeper.StartAsync(CancellationToken.None);
        _housekeeper.Request(Order(5));
        await _images.ListCalled.Task;
        _housekeeper.Request(Order(5));

        var first = await Task.WhenAny(_housekeeper.ExecuteTask!, _images.RemoveCalled.Task);

        Assert.Same(_images.RemoveCalled.Task, first);
        await _housekeeper.StopAsync(CancellationToken.None);
    }
}
