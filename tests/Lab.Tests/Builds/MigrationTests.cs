using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Builds;

// Issue #10 item 5 on the lab: the workers leave the swarm, so it is the one-node swarm of a
// fresh install with its build server on that node (registry-less builds); then a worker joins.
// With a build registry set the leader pushes the running app's image and re-pins its service by
// digest by itself (a deployment with trigger "migration"), and the app's task starts on the
// worker once node 1 is drained. Without one, node list and cluster show say which apps cannot
// move. Every node is back in the swarm (and active) when a test ends, whatever happened.
[Collection(LabCollection.Name)]
public sealed class MigrationTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan MigrationPatience = TimeSpan.FromMinutes(3);

    private readonly string _app = "m-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<int, DockerEngine> _engines = [];
    private BuildCluster? _cluster;
    private DockerEngine _manager = null!;

    public async Task InitializeAsync()
    {
        _manager = new DockerEngine(lab.Env.ManagerSocket);
        for (var node = 2; node <= lab.Env.Nodes; node++)
        {
            _engines[node] = new DockerEngine(lab.Env.NodeSocket(node));
            await SwarmOps.LeaveAsync(_manager, _engines[node]);
        }

        Assert.Single(await _manager.ListSwarmNodesAsync(CancellationToken.None));
        _cluster = await BuildCluster.StartOnAsync(lab.Env, [1], "--pre-pull-deadline", "90", "--converge-deadline", "90");
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _manager.Client.Swarm.RemoveServiceAsync(_app);
        }
        catch (global::Docker.DotNet.DockerApiException)
        {
            // not created
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        // The lab as every other test expects it: all nodes in the swarm, ready and active.
        foreach (var (node, engine) in _engines)
        {
            await SwarmOps.JoinAsync(_manager, engine, lab.Env, node);
        }

        var node1 = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(1));
        await SwarmOps.SetAvailabilityAsync(_manager, node1.Id, "active");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await _manager.ListSwarmNodesAsync(CancellationToken.None)).Count(n => n.State == "ready") < lab.Env.Nodes && DateTime.UtcNow < until)
        {
            await Task.Delay(250);
        }
    }

    public void Dispose()
    {
        _manager?.Dispose();
        foreach (var engine in _engines.Values)
        {
            engine.Dispose();
        }
    }

    private BuildCluster Cluster => _cluster!;

    [Fact]
    public async Task WorkerJoinsRegistryLessCluster_AppPushedRepinnedByDigestAndItsTaskStartsOnTheWorker()
    {
        await Cluster.UseLabRegistryAsync();
        var commit = await Cluster.CommitAppAsync("web", "main", "v1");
        BuildCluster.Check(await Cluster.Leader.CtlAsync("app", "create", _app, "--git", Cluster.Git.GitUrl("web"), "--ref", "main"));

        // One node with its build server: registry-less, although a build registry is set.
        var (result, built) = await Cluster.DeployAsync(_app);
        Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{Cluster.Builder.Output}");
        var localTag = $"{commit[..12]}-{built.GetProperty("id").GetString()}";
        Assert.Equal($"127.0.0.1:1/cluster-build/{_app}:{localTag}", await ServiceImageAsync());
        var single = await ClusterShowAsync();
        Assert.Equal("single-node", single.GetProperty("mode").GetString());
        Assert.False(single.GetProperty("registryNeeded").GetBoolean());
        Assert.Equal([_app], single.GetProperty("appsCannotMove").EnumerateArray().Select(a => a.GetString()));

        // A worker joins, and its agent connects.
        await SwarmOps.JoinAsync(_manager, _engines[2], lab.Env, 2);
        Cluster.Agents.StartAgent(2);

        var migration = await WaitForMigrationAsync();

        Assert.Equal("succeeded", migration.GetProperty("status").GetString());
        Assert.Equal("migration", migration.GetProperty("requestedBy").GetString());
        var digest = migration.GetProperty("digest").GetString()!;
        var pinned = $"{Cluster.Namespace}/{_app}:{localTag}@{digest}";
        Assert.Equal(pinned, await ServiceImageAsync());
        // The normal path after the push: pre-pull on both nodes, then the pinned update.
        var prePulls = migration.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("step").GetString() == "pre-pull").ToList();
        Assert.Equal([lab.Env.NodeHostname(1), lab.Env.NodeHostname(2)], prePulls.Select(n => n.GetProperty("node").GetString()).Order());
        Assert.All(prePulls, n => Assert.Equal("ok", n.GetProperty("status").GetString()));
        // The same commit, on record, and nothing left that cannot move.
        var show = await Cluster.Leader.CtlAsync("deployment", "show", migration.GetProperty("id").GetString()!, "-o", "json");
        using (var shown = JsonDocument.Parse(show.Stdout))
        {
            Assert.Equal("migration", shown.RootElement.GetProperty("trigger").GetString());
            Assert.Equal(commit, shown.RootElement.GetProperty("build").GetProperty("commit").GetString());
        }

        Assert.Empty((await ClusterShowAsync()).GetProperty("appsCannotMove").EnumerateArray());

        // Drained, node 1 gives its task up: swarm starts it on the worker, from the pinned image.
        var node1 = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(1));
        var worker = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(2));
        await SwarmOps.SetAvailabilityAsync(_manager, node1.Id, "drain");
        await Cluster.Agents.WaitAsync("the task running on the worker", async () =>
            (await SwarmOps.RunningTasksAsync(_manager, _app)).Any(t => t.NodeID == worker.Id && t.Spec?.ContainerSpec?.Image == pinned), TimeSpan.FromSeconds(90));

        // The push credential went to the build server only.
        var secret = Cluster.PushPassword;
        Assert.DoesNotContain(secret, Cluster.Agents.AllAgentLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, Cluster.Leader.Log, StringComparison.Ordinal);
        var hits = SecretScan.Find(Enumerable.Range(1, 2).Select(n => Path.Combine(lab.Env["LAB_DIR"], $"n{n}", "data", "swarm")).Append(Cluster.Agents.Dir), secret);
        Assert.True(hits.Count == 0, "the push password was found in: " + string.Join(", ", hits));
    }

    [Fact]
    public async Task WorkerJoinsWithoutBuildRegistry_NodeListAndClusterShowWarnWhichAppsCannotMove()
    {
        await Cluster.CommitAppAsync("web", "main", "v1");
        BuildCluster.Check(await Cluster.Leader.CtlAsync("app", "create", _app, "--git", Cluster.Git.GitUrl("web"), "--ref", "main"));
        var (result, _) = await Cluster.DeployAsync(_app);
        Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{Cluster.Builder.Output}");

        await SwarmOps.JoinAsync(_manager, _engines[2], lab.Env, 2);
        Cluster.Agents.StartAgent(2);
        await Cluster.Agents.WaitAsync("the worker's agent ready", async () =>
            (await Cluster.Agents.NodesAsync()).Any(n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(2) && n.GetProperty("status").GetString() == "ready"));

        // JSON: the node holding the image names the app; cluster show names it and says what to set.
        var nodes = await Cluster.Agents.NodesAsync();
        var holder = nodes.Single(n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(1) && n.GetProperty("role").GetString() != "builder");
        Assert.Equal([_app], holder.GetProperty("appsCannotMove").EnumerateArray().Select(a => a.GetString()));
        var worker = nodes.Single(n => n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(2));
        Assert.Empty(worker.GetProperty("appsCannotMove").EnumerateArray());
        var cluster = await ClusterShowAsync();
        Assert.Equal("multi-node", cluster.GetProperty("mode").GetString());
        Assert.Equal([_app], cluster.GetProperty("appsCannotMove").EnumerateArray().Select(a => a.GetString()));
        var note = cluster.GetProperty("migration").GetString()!;
        Assert.Contains(_app, note, StringComparison.Ordinal);
        Assert.Contains("clusterctl cluster set-registry", note, StringComparison.Ordinal);

        // Text: a warning line naming the app, in both commands.
        var list = await Cluster.Leader.CtlAsync("node", "list");
        Assert.Contains($"warning: app(s) {_app}", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("set-registry", list.Stdout, StringComparison.Ordinal);
        var text = await Cluster.Leader.CtlAsync("cluster", "show");
        Assert.Contains($"warning: app(s) {_app}", text.Stdout, StringComparison.Ordinal);

        // Nothing was migrated: no registry to push to.
        var deployments = await Cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
        using var doc = JsonDocument.Parse(deployments.Stdout);
        Assert.DoesNotContain(doc.RootElement.EnumerateArray(), d => d.GetProperty("requestedBy").GetString() == "migration");
        Assert.StartsWith("127.0.0.1:1/cluster-build/", await ServiceImageAsync(), StringComparison.Ordinal);
    }

    private async Task<string> ServiceImageAsync() =>
        (await _manager.Client.Swarm.InspectServiceAsync(_app)).Spec!.TaskTemplate!.ContainerSpec!.Image!;

    private async Task<JsonElement> ClusterShowAsync()
    {
        var show = await Cluster.Leader.CtlAsync("cluster", "show", "-o", "json");
        BuildCluster.Check(show);
        using var doc = JsonDocument.Parse(show.Stdout);
        return doc.RootElement.Clone();
    }

    // The migration deployment once it has ended.
    private async Task<JsonElement> WaitForMigrationAsync()
    {
        JsonElement? found = null;
        await Cluster.Agents.WaitAsync("the migration deployment to end", async () =>
        {
            var list = await Cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
            if (list.Exit != 0)
            {
                return false;
            }

            using var doc = JsonDocument.Parse(list.Stdout);
            var migration = doc.RootElement.EnumerateArray().FirstOrDefault(d => d.GetProperty("requestedBy").GetString() == "migration" && d.GetProperty("status").GetString() != "running");
            if (migration.ValueKind == JsonValueKind.Undefined)
            {
                return false;
            }

            found = migration.Clone();
            return true;
        }, MigrationPatience);
        return found!.Value;
    }
}
