using System.Text;
using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;
using Docker.DotNet.Models;

namespace Cluster.Lab.Tests.Builds;

// Issue #10 on the lab's real 3-node swarm: a real cluster-builder on node 1, a real Git server,
// the lab registry, agents pre-pulling on every node, deployments through the real CLI.
[Collection(LabCollection.Name)]
public sealed class BuildTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private readonly string _app = "b-" + Guid.NewGuid().ToString("N")[..8];
    private BuildCluster _cluster = null!;
    private DockerEngine _manager = null!;

    public async Task InitializeAsync()
    {
        _cluster = await BuildCluster.StartAsync(lab.Env, "--pre-pull-deadline", "60", "--converge-deadline", "60");
        _manager = new DockerEngine(lab.Env.ManagerSocket);
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

        await _cluster.DisposeAsync();
    }

    public void Dispose() => _manager?.Dispose();

    [Fact]
    public async Task GitApp_Deploy_BuildsPushesPrePullsEveryWorkerAndRunsThePushedDigest()
    {
        await _cluster.UseLabRegistryAsync();
        var commit = await _cluster.CommitAppAsync("web", "main", "v1");
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", _cluster.Git.GitUrl("web"), "--ref", "main", "--constraint", "node.role==worker", "--replicas", "2"));

        var (result, deployment) = await _cluster.DeployAsync(_app);

        Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{_cluster.Builder.Output}");
        Assert.Equal("succeeded", deployment.GetProperty("status").GetString());
        var digest = deployment.GetProperty("digest").GetString()!;
        var pinned = $"{_cluster.Namespace}/{_app}:{commit[..12]}@{digest}";
        var service = await _manager.Client.Swarm.InspectServiceAsync(_app);
        Assert.Equal(pinned, service.Spec!.TaskTemplate!.ContainerSpec!.Image);
        // Pre-pulled through the agents on both workers before the update, and running there.
        var prePulls = deployment.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("step").GetString() == "pre-pull").ToList();
        Assert.Equal([lab.Env.NodeHostname(2), lab.Env.NodeHostname(3)], prePulls.Select(n => n.GetProperty("node").GetString()).Order());
        Assert.All(prePulls, n => Assert.Equal("ok", n.GetProperty("status").GetString()));
        var tasks = await _manager.Client.Tasks.ListAsync(new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [_app] = true }, ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } } });
        Assert.Equal(2, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(pinned, t.Spec!.ContainerSpec!.Image));

        // The build is on record: source, commit, the builder's own output.
        var show = await _cluster.Leader.CtlAsync("deployment", "show", deployment.GetProperty("id").GetString()!, "-o", "json");
        using var shown = JsonDocument.Parse(show.Stdout);
        Assert.Equal($"{_cluster.Git.GitUrl("web")}@main", shown.RootElement.GetProperty("source").GetString());
        var build = shown.RootElement.GetProperty("build");
        Assert.Equal(commit, build.GetProperty("commit").GetString());
        Assert.Contains(build.GetProperty("log").EnumerateArray(), l => l.GetString()!.StartsWith("Step 1/", StringComparison.Ordinal));
        Assert.Equal(digest, build.GetProperty("digest").GetString());

        // Labels on the built image, on the builder's engine.
        using var node1 = new DockerEngine(lab.Env.NodeSocket(1));
        var image = await node1.Client.Images.InspectImageAsync($"{_cluster.Namespace}/{_app}:{commit[..12]}");
        Assert.Equal(_app, image.Config!.Labels!["cluster.app"]);
        Assert.Equal(commit, image.Config!.Labels!["cluster.commit"]);
        Assert.Equal(deployment.GetProperty("id").GetString(), image.Config!.Labels!["cluster.deployment"]);

        // The builder shows in node list with role builder.
        Assert.Contains(await _cluster.Agents.NodesAsync(), n => n.GetProperty("role").GetString() == "builder" && n.GetProperty("hostname").GetString() == lab.Env.NodeHostname(1));

        // The push credential reached the builder only: not an agent, not a log, not a node's disk.
        AssertPushPasswordNowhere();
    }

    [Fact]
    public async Task FailingBuilds_RunCopyAndSyntax_EndBeforeTheServiceIsTouchedNamingTheStep()
    {
        await _cluster.UseLabRegistryAsync();
        await _cluster.CommitAppAsync("web", "main", "good");
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", _cluster.Git.GitUrl("web"), "--ref", "main", "--constraint", "node.role==worker"));
        var (first, good) = await _cluster.DeployAsync(_app);
        Assert.True(first.Exit == 0, first.ToString());
        var before = await _manager.Client.Swarm.InspectServiceAsync(_app);

        var cases = new (string Dockerfile, string Expected)[]
        {
            ("FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo compiling; echo 'error: it broke' >&2; exit 3\"]\n", "RUN"),
            ("FROM scratch\nCOPY busybox /bin/busybox\nCOPY missing-file /missing\n", "COPY missing-file"),
            ("FROMM scratch\n", "FROMM"),
        };
        foreach (var (dockerfile, expected) in cases)
        {
            await _cluster.CommitAppAsync("web", "main", "bad", dockerfile);

            var (result, failed) = await _cluster.DeployAsync(_app);

            Assert.NotEqual(0, result.Exit);
            Assert.Equal("failed", failed.GetProperty("status").GetString());
            var error = failed.GetProperty("error").GetString()!;
            Assert.Contains("build failed", error, StringComparison.Ordinal);
            Assert.Contains("no service was touched", error, StringComparison.Ordinal);
            Assert.Contains(expected, error + string.Join("\n", failed.GetProperty("log").EnumerateArray().Select(l => l.GetString())), StringComparison.Ordinal);
            var after = await _manager.Client.Swarm.InspectServiceAsync(_app);
            Assert.Equal(before.Version!.Index, after.Version!.Index);
        }

        // The failing RUN's own output is in the deployment log (its last lines).
        var list = await _cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
        using var doc = JsonDocument.Parse(list.Stdout);
        var runFailure = doc.RootElement.EnumerateArray().Single(d => d.GetProperty("error").GetString()?.Contains("RUN", StringComparison.Ordinal) == true);
        Assert.Contains(runFailure.GetProperty("log").EnumerateArray(), l => l.GetString()!.Contains("error: it broke", StringComparison.Ordinal));
        Assert.Equal(good.GetProperty("digest").GetString(), (await _manager.Client.Swarm.InspectServiceAsync(_app)).Spec!.TaskTemplate!.ContainerSpec!.Image!.Split('@')[1]);
    }

    [Fact]
    public async Task WorkersPresentAndNoBuildRegistry_DeployRefusedWithWhatToSetAndWhichCommand()
    {
        await _cluster.CommitAppAsync("web", "main", "v1");
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", _cluster.Git.GitUrl("web")));

        var (result, deployment) = await _cluster.DeployAsync(_app);

        Assert.NotEqual(0, result.Exit);
        var error = deployment.GetProperty("error").GetString()!;
        Assert.Contains("registry is required for multi-node clusters", error, StringComparison.Ordinal);
        Assert.Contains("clusterctl registry add", error, StringComparison.Ordinal);
        Assert.Contains("clusterctl cluster set-registry", error, StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
        var show = await _cluster.Leader.CtlAsync("cluster", "show", "-o", "json");
        using var cluster = JsonDocument.Parse(show.Stdout);
        Assert.True(cluster.RootElement.GetProperty("registryNeeded").GetBoolean());
        Assert.Equal("multi-node", cluster.RootElement.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task BuildTimeout_StopsTheBuildAndLeavesNoService()
    {
        await _cluster.UseLabRegistryAsync();
        await _cluster.CommitAppAsync("web", "main", "slow", "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sleep\", \"120\"]\n");
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", _cluster.Git.GitUrl("web"), "--build-timeout", "8s"));

        var (result, deployment) = await _cluster.DeployAsync(_app);

        Assert.NotEqual(0, result.Exit);
        Assert.Contains("timeout", deployment.GetProperty("error").GetString()!, StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
        // Nothing was pushed.
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_cluster.PushUser}:{_cluster.PushPassword}")));
        var repository = $"{_cluster.Namespace[(lab.Env.Registry.Length + 1)..]}/{_app}";
        var tags = await http.GetAsync(new Uri($"http://{lab.Env.Registry}/v2/{repository}/tags/list"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, tags.StatusCode);
    }

    // Plain text, and the base64 JSON auth Docker keeps in a worker's task store.
    private void AssertPushPasswordNowhere()
    {
        var secret = _cluster.PushPassword;
        Assert.DoesNotContain(secret, _cluster.Agents.AllAgentLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, _cluster.Leader.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, _cluster.Builder.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(_cluster.Leader.CliOutputs, o => o.Contains(secret, StringComparison.Ordinal));
        var dirs = Enumerable.Range(1, lab.Env.Nodes)
            .Select(node => Path.Combine(lab.Env["LAB_DIR"], $"n{node}", "data", "swarm"))
            .Append(_cluster.Agents.Dir);
        var hits = SecretScan.Find(dirs, secret);
        Assert.True(hits.Count == 0, "the push password was found in: " + string.Join(", ", hits));
    }
}
