using Cluster.Core.Docker;
using Cluster.Leader.Deployments;

namespace Cluster.Leader.Tests.Deployments;

// Which nodes a deployment pre-pulls on (Placement): swarm's own rules for the constraints the
// leader can evaluate, on ready and active nodes, and which nodes the image has no platform for.
// An expression the leader cannot evaluate keeps the node (one pull too many, never a task short).
public sealed class PlacementTests
{
    private static readonly SwarmNode Manager = Node("m1", "leader", "manager", arch: "amd64", labels: new() { ["zone"] = "a" });
    private static readonly SwarmNode Worker = Node("w1", "worker-1", "worker", arch: "arm64", labels: new() { ["zone"] = "b", ["disk"] = "ssd" });

    public static TheoryData<string, bool, bool> Constraints => new()
    {
        // constraint, manager eligible, worker eligible
        { "node.role==manager", true, false },
        { "node.role!=manager", false, true },
        { "node.role == worker", false, true },
        { "node.role==MANAGER", true, false },
        { "node.hostname==worker-1", false, true },
        { "node.hostname!=worker-1", true, false },
        { "node.id==m1", true, false },
        { "node.platform.os==linux", true, true },
        { "node.platform.os==windows", false, false },
        { "node.platform.arch==arm64", false, true },
        { "node.platform.arch!=arm64", true, false },
        { "node.labels.zone==a", true, false },
        { "node.labels.zone!=a", false, true },
        { "node.labels.disk==ssd", false, true },
        // A label the node lacks is the empty value: never equal to a value, always unequal.
        { "node.labels.disk!=ssd", true, false },
        { "node.labels.gpu==yes", false, false },
        { "node.labels.gpu!=yes", true, true },
        // Expressions the leader does not evaluate keep every node.
        { "engine.labels.kernel==6", true, true },
        { "node.role", true, true },
        { "whatever", true, true },
    };

    [Theory]
    [MemberData(nameof(Constraints))]
    public void Eligible_OneConstraint_SwarmsRuleOnEachNode(string constraint, bool manager, bool worker)
    {
        var eligible = Placement.Eligible([Manager, Worker], [constraint]).Select(n => n.Id).ToList();

        Assert.Equal(manager, eligible.Contains("m1"));
        Assert.Equal(worker, eligible.Contains("w1"));
    }

    [Fact]
    public void Eligible_SeveralConstraints_AllMustHold()
    {
        Assert.Equal(["w1"], Placement.Eligible([Manager, Worker], ["node.labels.zone==b", "node.role==worker"]).Select(n => n.Id));
        Assert.Empty(Placement.Eligible([Manager, Worker], ["node.labels.zone==b", "node.role==manager"]));
        Assert.Equal(["m1", "w1"], Placement.Eligible([Manager, Worker], []).Select(n => n.Id));
    }

    [Theory]
    [InlineData("ready", "active", true)]
    [InlineData("down", "active", false)]
    [InlineData("unknown", "active", false)]
    [InlineData("disconnected", "active", false)]
    [InlineData("ready", "drain", false)]
    [InlineData("ready", "pause", false)]
    public void Eligible_NodeStateAndAvailability_OnlyReadyAndActive(string state, string availability, bool eligible)
    {
        var node = Node("n1", "node-1", "worker", state: state, availability: availability);

        Assert.Equal(eligible, Placement.Eligible([node], []).Count == 1);
    }

    public static TheoryData<string, string[], bool> Platforms => new()
    {
        // node architecture, image platforms, covered
        { "amd64", ["linux/amd64"], true },
        { "amd64", ["linux/arm64", "linux/amd64", "unknown/unknown"], true },
        { "amd64", ["linux/amd64/v3"], true },
        { "arm64", ["linux/amd64"], false },
        { "arm64", ["linux/arm64/v8"], true },
        { "arm", ["linux/arm/v7"], true },
        // A prefix is not a match: arm64 does not cover arm, nor the reverse.
        { "arm", ["linux/arm64"], false },
        { "arm64", ["linux/arm"], false },
        { "amd64", ["windows/amd64"], false },
        { "amd64", ["unknown/unknown"], false },
        { "amd64", ["linux"], false },
    };

    [Theory]
    [MemberData(nameof(Platforms))]
    public void WithoutPlatform_NodeArchitectureAgainstImagePlatforms_MatchesOsAndArchExactly(string arch, string[] platforms, bool covered)
    {
        var node = Node("n1", "node-1", "worker", arch: arch);

        Assert.Equal(covered, Placement.WithoutPlatform([node], platforms).Count == 0);
    }

    [Fact]
    public void WithoutPlatform_MixedCluster_NamesOnlyTheUncoveredNodes()
    {
        var missing = Placement.WithoutPlatform([Manager, Worker], ["linux/amd64"]);

        Assert.Equal(["w1"], missing.Select(n => n.Id));
    }

    private static SwarmNode Node(string id, string hostname, string role, string state = "ready", string availability = "active", string arch = "amd64", Dictionary<string, string>? labels = null) =>
        new(id, hostname, role, state, availability, arch, "10.0.0.1") { Labels = labels ?? [] };
}
