using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Apps;
using Cluster.Leader.Deployments;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.Leader.Tests.Deployments;

// A deployment whose record the database refuses to save (disk full, a failing disk; here the
// journal's database is closed under it) must still end: its caller gets the outcome, its event
// stream completes, and the app is free for the next deployment. It used to stay "running" in
// the leader's memory for good: the save failed inside the crash handler, the exception left the
// deployment's task, and `clusterctl deploy` waited forever while every later deploy of the app
// was refused as "still running" until a restart.
// The orchestrator is the real one with one test step, on the shared leader's apps, sessions and
// engine; only its journal writes to a database of its own.
public sealed class UnsavedOutcomeTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>, IDisposable
{
    private readonly InProcessLeader _leader = fixture.Leader;
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-unsaved-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Start_DatabaseRefusesTheWrites_DeploymentStillEndsAndFreesTheApp()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "unsaved", Image = "127.0.0.1:1/acme/web:1.0" });
        var appId = _leader.Services.GetRequiredService<AppService>().Get("unsaved").Id;
        var journalDb = new LeaderDatabase(Path.Combine(_dir, "journal.db"));
        var step = new GateStep();
        var orchestrator = Orchestrator(journalDb, step);

        var started = orchestrator.Start(new DeploymentRequest("unsaved", null, "admin@test"));
        await step.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        journalDb.Dispose();
        step.Release.SetResult();

        var record = await started.Done.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(DeploymentStatus.Failed, record.Status);
        Assert.Equal("the registry said no", record.Error);
        var events = new List<DeployEvent>();
        using var readFor = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var e in started.Events.ReadAllAsync(readFor.Token))
        {
            events.Add(e);
        }

        Assert.Equal("failed", events[^1].Finished?.Status);

        // The app is freed just after the outcome is handed over.
        for (var i = 0; i < 500 && orchestrator.IsRunning(appId); i++)
        {
            await Task.Delay(10);
        }

        Assert.False(orchestrator.IsRunning(appId));

        // The app is free: the next deployment is not refused as "still running"; as long as the
        // database refuses writes it is refused for that, saying so.
        var next = Assert.Throws<OperationException>(() => orchestrator.Start(new DeploymentRequest("unsaved", null, "admin@test")));
        Assert.Equal(OperationError.Unavailable, next.Error);
        Assert.Contains("cannot record a deployment of app 'unsaved': the leader's database refused the write", next.Message, StringComparison.Ordinal);
        Assert.False(orchestrator.IsRunning(appId));
    }

    private DeploymentOrchestrator Orchestrator(LeaderDatabase db, IDeploymentStep step) => new(
        db,
        _leader.Services.GetRequiredService<AppService>(),
        _leader.Services.GetRequiredService<SessionRegistry>(),
        _leader.Services.GetRequiredService<DockerEngine>(),
        [step],
        TimeProvider.System,
        NullLogger<DeploymentOrchestrator>.Instance);

    // A step that waits to be released, says a line (as steps do) and fails.
    private sealed class GateStep : IDeploymentStep
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "resolve";

        public int Order => StepOrder.Resolve;

        public bool AppliesTo(DeploymentContext context) => true;

        public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            context.Journal.Say("asking the registry");
            return StepOutcome.Failed("the registry said no");
        }
    }
}
