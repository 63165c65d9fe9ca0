using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Agents;

// Issue #13 item 1: hosts cloned from one VM image share /etc/docker/key.json, hence the engine
// ID. Reproduced on the real lab by giving node 3's engine node 2's key file. On the old code
// both agents enrolled under that ID, got one node record, and their sessions replaced each
// other; now each agent has its own enrollment id and swarm node id, so both are ready.
[Collection(LabCollection.Name)]
public sealed class ClonedNodeTests(LabFixture lab)
{
    [Fact]
    public async Task TwoEnginesWithOneKeyFile_StayTwoReadyNodes_NoSessionReplacesAnother()
    {
        var key2 = Path.Combine(NodeDir(2), "key.json");
        var key3 = Path.Combine(NodeDir(3), "key.json");
        var own = key3 + ".own";
        File.Copy(key3, own, overwrite: true);
        try
        {
            File.Copy(key2, key3, overwrite: true);
            await RestartEngineAsync(3);
            Assert.Equal((await InfoAsync(2)).EngineId, (await InfoAsync(3)).EngineId);

            await using var cluster = await AgentCluster.StartAsync(lab.Env);

            var nodes = await cluster.NodesAsync();
            Assert.Equal(lab.Env.Nodes, nodes.Count);
            Assert.All(nodes, n => Assert.Equal("ready", n.GetProperty("status").GetString()));
            Assert.Equal(lab.Env.Nodes, nodes.Select(n => n.GetProperty("id").GetString()).Distinct().Count());
            Assert.Equal((await InfoAsync(3)).SwarmNodeId, nodes.Single(n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(3)).GetProperty("swarmNodeId").GetString());
            Assert.DoesNotContain("opened a new session; ending", cluster.Leader.Log, StringComparison.Ordinal);
        }
        finally
        {
            File.Copy(own, key3, overwrite: true);
            File.Delete(own);
            await RestartEngineAsync(3);
        }
    }

    private string NodeDir(int node) => Path.GetDirectoryName(lab.Env.NodeSocket(node).AbsolutePath)!;

    private async Task<EngineInfo> InfoAsync(int node)
    {
        using var engine = new DockerEngine(lab.Env.NodeSocket(node));
        return await engine.GetInfoAsync(CancellationToken.None);
    }

    private static async Task RestartEngineAsync(int node)
    {
        var restart = await ProcessRunner.RunAsync("bash", [RepoPaths.LabScript, "restart-engine", node.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(2));
        Assert.True(restart.ExitCode == 0, restart.Output);
    }
}
