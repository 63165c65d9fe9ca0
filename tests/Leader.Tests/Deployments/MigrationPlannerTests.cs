using Cluster.Core.Docker;
using Cluster.Leader.Builds;
using Cluster.Leader.Storage;
using Cluster.Leader.Deployments;
using static Cluster.Leader.Deployments.MigrationPlanner;

namespace Cluster.Leader.Tests.Deployments;

// Issue #10 item 5, decided without a swarm: which registry-less apps are migrated when the
// swarm grows, which wait (and for what), which cannot move.
public sealed class MigrationPlannerTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly SwarmNode Manager = new("n-manager", "lab-node1", "manager", "ready", "active", "amd64", "10.0.0.1");

    private static readonly SwarmNode Worker = new("n-worker", "lab-node2", "worker", "ready", "active", "amd64", "10.0.0.2");

    private static AppRecord With(AppRecord app, Action<AppRecord> change)
    {
        change(app);
        return app;
    }

    private static AppRecord Local(string name, params string[] constraints) => new()
    {
        Id = "id-" + name,
        Name = name,
        Source = "git",
        Image = "127.0.0.1:1/cluster-build/" + name,
        Tag = "abcdef123456-d1",
        LocalImage = true,
        LocalImageNode = Manager.Id,
        Constraints = [.. constraints],
    };

    private static View ViewOf(
        IReadOnlyList<SwarmNode>? swarm = null,
        string? registry = "lab-push",
        string[]? builders = null,
        string[]? agents = null,
        string[]? running = null,
        Dictionary<string, DateTimeOffset>? retry = null) =>
        new(swarm ?? [Manager, Worker], builders ?? [Manager.Id], agents ?? [Manager.Id, Worker.Id], registry, running ?? [], retry ?? [], Now, Manager.Id);

    [Fact]
    public void WorkerJoined_RegistrySet_EverythingConnected_Migrates()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf()));

        Assert.Equal(MigrationPlanner.Action.Migrate, plan.Action);
    }

    [Fact]
    public void OneNode_NothingToDo()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf(swarm: [Manager], agents: [Manager.Id])));

        Assert.Equal(MigrationPlanner.Action.None, plan.Action);
    }

    [Fact]
    public void AppsNotLocal_AreNotPlanned()
    {
        Assert.Empty(Decide([With(Local("web"), a => a.LocalImage = false)], ViewOf()));
    }

    [Fact]
    public void NoBuildRegistry_BlockedWithWhatToSet()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf(registry: null)));

        Assert.Equal(MigrationPlanner.Action.Blocked, plan.Action);
        Assert.Contains("lab-node1", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("clusterctl cluster set-registry", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkerWithoutAgentYet_WaitsNamingIt()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf(agents: [Manager.Id])));

        Assert.Equal(MigrationPlanner.Action.Wait, plan.Action);
        Assert.Contains("agent on lab-node2", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkerWithoutAgent_ButConstrainedToTheManager_Migrates()
    {
        var plan = Assert.Single(Decide([Local("web", "node.role==manager")], ViewOf(agents: [Manager.Id])));

        Assert.Equal(MigrationPlanner.Action.Migrate, plan.Action);
    }

    [Fact]
    public void DrainedWorkerWithoutAgent_IsNoTarget_Migrates()
    {
        var drained = Worker with { Availability = "drain" };

        var plan = Assert.Single(Decide([Local("web")], ViewOf(swarm: [Manager, drained], agents: [Manager.Id])));

        Assert.Equal(MigrationPlanner.Action.Migrate, plan.Action);
    }

    [Fact]
    public void NoBuilderOnTheNodeHoldingTheImage_Waits()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf(builders: [Worker.Id])));

        Assert.Equal(MigrationPlanner.Action.Wait, plan.Action);
        Assert.Contains("no build server is connected on lab-node1", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeploymentRunning_Waits()
    {
        var plan = Assert.Single(Decide([Local("web")], ViewOf(running: ["id-web"])));

        Assert.Equal(MigrationPlanner.Action.Wait, plan.Action);
    }

    [Fact]
    public void RecentFailure_WaitsUntilItsRetryTime_ThenMigrates()
    {
        var later = new Dictionary<string, DateTimeOffset> { ["id-web"] = Now.AddSeconds(30) };
        var earlier = new Dictionary<string, DateTimeOffset> { ["id-web"] = Now.AddSeconds(-1) };

        Assert.Equal(MigrationPlanner.Action.Wait, Assert.Single(Decide([Local("web")], ViewOf(retry: later))).Action);
        Assert.Equal(MigrationPlanner.Action.Migrate, Assert.Single(Decide([Local("web")], ViewOf(retry: earlier))).Action);
    }

    [Fact]
    public void RecordWithoutHolder_UsesTheLeadersNode()
    {
        var old = With(Local("web"), a => a.LocalImageNode = "");

        Assert.Equal(Manager.Id, HolderOf(old, ViewOf()));
        Assert.Equal(MigrationPlanner.Action.Migrate, Assert.Single(Decide([old], ViewOf())).Action);
        Assert.Equal(MigrationPlanner.Action.None, Assert.Single(Decide([old], ViewOf(swarm: [Manager]))).Action);
    }

    [Fact]
    public void Note_BlockedAppsNamedOnceWithTheFix_OthersEach()
    {
        var plans = new[]
        {
            new Plan(Local("api"), MigrationPlanner.Action.Blocked, "no build registry is set: set one"),
            new Plan(Local("web"), MigrationPlanner.Action.Blocked, "no build registry is set: set one"),
            new Plan(Local("db"), MigrationPlanner.Action.None, "one node"),
        };

        Assert.Equal("apps api, web cannot move to another node: no build registry is set: set one", MigrationNote.Of(plans));
        Assert.Equal("", MigrationNote.Of([plans[2]]));
        Assert.Contains("app web: migration pending: waiting", MigrationNote.Of([new Plan(Local("web"), MigrationPlanner.Action.Wait, "waiting")]), StringComparison.Ordinal);
    }

    [Fact]
    public void HousekeepingKeepList_ServicesPinsLocalImagesAndRunningDeployments()
    {
        var pinned = With(Local("api"), a => { a.LocalImage = false; a.PinnedImage = "10.0.0.5:5000/ns/api:abc@sha256:" + new string('a', 64); });

        var keep = ImageHousekeeping.KeepList(["10.0.0.5:5000/ns/web:v1@sha256:" + new string('b', 64)], [Local("web"), pinned], ["10.0.0.5:5000/ns/db:v2"]);

        Assert.Equal(4, keep.Count);
        Assert.Contains("127.0.0.1:1/cluster-build/web:abcdef123456-d1", keep);
        Assert.Contains(pinned.PinnedImage, keep);
        Assert.Contains("10.0.0.5:5000/ns/db:v2", keep);
    }
}
