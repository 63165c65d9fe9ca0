using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Agents;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing;
using Cluster.Testing.Http;
using Docker.DotNet.Models;

namespace Cluster.Lab.Tests.Deployments;

// Issue #5 end to end on the lab's real 3-node swarm: images built FROM scratch and pushed to
// the real registry, agents on every node, deployments through the real CLI and leader.
[Collection(LabCollection.Name)]
public sealed class DeploymentTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private readonly string _app = "app-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _user = "d" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "deploy-pw-" + Guid.NewGuid().ToString("N");
    private readonly List<string> _foreignServices = [];
    private AgentCluster _cluster = null!;
    private DockerEngine _manager = null!;

    private string Repository => $"{lab.Env.Registry}/deploy/{_app}";

    public async Task InitializeAsync()
    {
        await Htpasswd.SetAsync(lab.Env, _user, _password);
        _cluster = await AgentCluster.StartAsync(lab.Env, "--pre-pull-deadline", "30", "--converge-deadline", "60", "--resolve-deadline", "20");
        _manager = new DockerEngine(lab.Env.ManagerSocket);
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", "lab", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        Assert.True(add.Exit == 0, add.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _foreignServices)
        {
            try
            {
                await _manager.Client.Swarm.RemoveServiceAsync(id);
            }
            catch (global::Docker.DotNet.DockerApiException)
            {
                // removed by the test (which would be a failure it reports itself)
            }
        }

        try
        {
            await _manager.Client.Swarm.RemoveServiceAsync(_app);
        }
        catch (global::Docker.DotNet.DockerApiException)
        {
            // not created, or already removed by the test
        }

        await _cluster.DisposeAsync();
    }

    public void Dispose() => _manager?.Dispose();

    [Fact]
    public async Task Deploy_V1ToWorkers_RunsPinnedDigestOnWorkersThatPulledFirst()
    {
        var digest = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--replicas", "2");

        var deploy = await DeployAsync();

        Assert.Equal("succeeded", deploy.GetProperty("status").GetString());
        Assert.Equal(digest, deploy.GetProperty("digest").GetString());
        var pinned = $"{Repository}:v1@{digest}";
        Assert.Equal(pinned, (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
        var workers = await WorkerIdsAsync();
        var tasks = await RunningTasksAsync();
        Assert.Equal(2, tasks.Count);
        Assert.All(tasks, t => Assert.Equal(pinned, t.Spec!.ContainerSpec!.Image));
        Assert.All(tasks, t => Assert.Contains(t.NodeID!, workers));

        var prePulls = deploy.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("step").GetString() == "pre-pull").ToList();
        Assert.Equal([lab.Env.NodeHostname(2), lab.Env.NodeHostname(3)], prePulls.Select(n => n.GetProperty("node").GetString()).Order());
        Assert.All(prePulls, n => Assert.Equal("ok", n.GetProperty("status").GetString()));
        for (var node = 2; node <= 3; node++)
        {
            using var engine = new DockerEngine(lab.Env.NodeSocket(node));
            Assert.True(await engine.ImageExistsAsync($"{Repository}@{digest}", CancellationToken.None));
        }

        var show = await _cluster.Leader.CtlAsync("app", "show", _app, "-o", "json");
        using var app = JsonDocument.Parse(show.Stdout);
        Assert.Equal(digest, app.RootElement.GetProperty("digest").GetString());
        Assert.Equal(deploy.GetProperty("id").GetString(), app.RootElement.GetProperty("lastDeployment").GetString());
    }

    [Fact]
    public async Task CustomTagThenRepushedSameTag_DeployCurrentTagRollsOutTheNewDigest()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());

        var v2 = await PushAsync("v2");
        var custom = await DeployAsync("--tag", "v2");
        Assert.Equal("succeeded", custom.GetProperty("status").GetString());
        Assert.Equal($"{Repository}:v2@{v2}", (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);

        var v2Again = await PushAsync("v2");
        Assert.NotEqual(v2, v2Again);
        Assert.Equal(0, (await _cluster.Leader.CtlAsync("app", "set", _app, "--tag", "v2")).Exit);
        var current = await DeployAsync();

        Assert.Equal("succeeded", current.GetProperty("status").GetString());
        Assert.Equal(v2Again, current.GetProperty("digest").GetString());
        var pinned = $"{Repository}:v2@{v2Again}";
        Assert.Equal(pinned, (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
        Assert.All(await RunningTasksAsync(), t => Assert.Equal(pinned, t.Spec!.ContainerSpec!.Image));
    }

    [Fact]
    public async Task SameDigestAgain_IsNoOpWithoutRestart()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var before = await ServiceAsync();

        var again = await DeployAsync();

        Assert.Equal("succeeded", again.GetProperty("status").GetString());
        Assert.Equal(before.Version!.Index, (await ServiceAsync()).Version!.Index);
        Assert.Contains(again.GetProperty("log").EnumerateArray(), l => l.GetString()!.Contains("nothing to change", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingTag_FailsAtResolve_ServiceUnchanged()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var before = await ServiceAsync();

        var result = await _cluster.Leader.CtlAsync("deploy", _app, "--tag", "does-not-exist", "-o", "json");

        Assert.NotEqual(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal($"image not found: {Repository}:does-not-exist; check that the registry URL matches the image path", doc.RootElement.GetProperty("error").GetString());
        Assert.Equal(before.Version!.Index, (await ServiceAsync()).Version!.Index);
    }

    [Fact]
    public async Task StaleCredential_FailsBeforeTheServiceIsTouched_ThenSucceedsAfterUpdate()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--registry", "lab");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var before = await ServiceAsync();
        await PushAsync("v2");
        var newPassword = "changed-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);

        var failed = await _cluster.Leader.CtlAsync("deploy", _app, "--tag", "v2", "-o", "json");

        Assert.NotEqual(0, failed.Exit);
        using (var doc = JsonDocument.Parse(failed.Stdout))
        {
            Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
            Assert.Contains("unauthorized", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before.Version!.Index, (await ServiceAsync()).Version!.Index);

        Assert.Equal(0, (await _cluster.Leader.CtlWithStdinAsync(newPassword, "registry", "update", "lab", "--password-stdin")).Exit);
        Assert.Equal("succeeded", (await DeployAsync("--tag", "v2")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CrashingImage_UpdateRolledBack_PreviousDigestKeepsRunningAndReasonRecorded()
    {
        var v1 = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        await PushAsync("broken", crash: true);

        var result = await _cluster.Leader.CtlAsync("deploy", _app, "--tag", "broken", "-o", "json");

        Assert.NotEqual(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("rolled-back", doc.RootElement.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("error").GetString()));
        await _cluster.WaitAsync("the service back on v1", async () =>
        {
            var tasks = await RunningTasksAsync();
            return tasks.Count == 1 && tasks[0].Spec!.ContainerSpec!.Image == $"{Repository}:v1@{v1}";
        }, TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task DrainedWorker_TaskMovesToAWorkerThatAlreadyHasTheImage()
    {
        var digest = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--replicas", "2");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var node2 = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(2));
        var node3 = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(3));
        using (var engine3 = new DockerEngine(lab.Env.NodeSocket(3)))
        {
            Assert.True(await engine3.ImageExistsAsync($"{Repository}@{digest}", CancellationToken.None));
        }

        try
        {
            await SetAvailabilityAsync(node2.Id, "drain");
            await _cluster.WaitAsync("both tasks on node 3", async () =>
            {
                var tasks = await RunningTasksAsync();
                return tasks.Count == 2 && tasks.All(t => t.NodeID == node3.Id);
            }, TimeSpan.FromSeconds(90));
        }
        finally
        {
            await SetAvailabilityAsync(node2.Id, "active");
        }
    }

    [Fact]
    public async Task SecondDeploymentWhileOneRuns_IsRefusedNamingTheRunningOne()
    {
        // A deployment of a crashing image stays running until swarm gives up and rolls back
        // (many seconds), which leaves a wide window to try a second one.
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        await PushAsync("broken", crash: true);

        var first = _cluster.Leader.CtlAsync("deploy", _app, "--tag", "broken", "-o", "json");
        string? runningId = null;
        await _cluster.WaitAsync("the first deployment to be running", async () =>
        {
            var list = await _cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
            using var doc = JsonDocument.Parse(list.Stdout);
            runningId = doc.RootElement.EnumerateArray().Where(d => d.GetProperty("status").GetString() == "running").Select(d => d.GetProperty("id").GetString()).FirstOrDefault();
            return runningId is not null;
        });

        var second = await _cluster.Leader.CtlAsync("deploy", _app);

        Assert.NotEqual(0, second.Exit);
        Assert.Contains($"deployment {runningId} of app '{_app}' is still running", second.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, (await first).Exit);
    }

    [Fact]
    public async Task CancelWhileSwarmUpdatesTheService_PutsItBackOnV1_RolledBack_AndTheWaitingDeployExitsNonZero()
    {
        var v1 = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        await PushAsync("slow", TestImages.NeverHealthy(Guid.NewGuid().ToString("N")));

        var deploy = _cluster.Leader.CtlAsync("deploy", _app, "--tag", "slow", "-o", "json");
        var id = await RunningDeploymentAsync("updated service");
        var cancel = await _cluster.Leader.CtlAsync("deployment", "cancel", id, "-o", "json");
        var waited = await deploy;

        Assert.True(cancel.Exit == 0, cancel.ToString());
        using var stopped = JsonDocument.Parse(cancel.Stdout);
        Assert.Equal("rolled-back", stopped.RootElement.GetProperty("status").GetString());
        var error = stopped.RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("cancelled by admin@", error, StringComparison.Ordinal);
        Assert.Contains("rolled back to the previous spec", error, StringComparison.Ordinal);
        Assert.NotEqual(0, waited.Exit);
        using var outcome = JsonDocument.Parse(waited.Stdout);
        Assert.Equal(id, outcome.RootElement.GetProperty("id").GetString());
        Assert.Equal("rolled-back", outcome.RootElement.GetProperty("status").GetString());
        var pinned = $"{Repository}:v1@{v1}";
        Assert.Equal(pinned, (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
        await _cluster.WaitAsync("the service back on v1", async () =>
        {
            var tasks = await RunningTasksAsync();
            return tasks.Count == 1 && tasks[0].Spec!.ContainerSpec!.Image == pinned;
        }, TimeSpan.FromSeconds(90));
        using var app = JsonDocument.Parse((await _cluster.Leader.CtlAsync("app", "show", _app, "-o", "json")).Stdout);
        Assert.Equal(v1, app.RootElement.GetProperty("digest").GetString());
        Assert.Equal("v1", app.RootElement.GetProperty("tag").GetString());
        var again = await _cluster.Leader.CtlAsync("deployment", "cancel", id);
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("already finished: rolled-back", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelDuringPrePull_FailsBeforeTheServiceIsCreated()
    {
        // Node 3 cut off: its pre-pull waits for a result until the 30 s pre-pull deadline. The
        // leader of this test hears heartbeats every 10 s, so node 3 still counts as ready (a
        // pre-pull target) for 30 s after the cut, whatever the machine's load.
        await RestartClusterAsync("--pre-pull-deadline", "30", "--converge-deadline", "60", "--heartbeat-period", "10");
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        var veth = lab.Env["LAB_NODE3_VETH"];
        CliResult cancel;
        CliResult waited;
        string id;
        try
        {
            await ProcessRunner.RunAsync("ip", ["link", "set", veth, "down"], TimeSpan.FromSeconds(30));
            var deploy = _cluster.Leader.CtlAsync("deploy", _app, "-o", "json");
            id = await RunningDeploymentAsync("pre-pulling");
            cancel = await _cluster.Leader.CtlAsync("deployment", "cancel", id, "-o", "json");
            waited = await deploy;
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["link", "set", veth, "up"], TimeSpan.FromSeconds(30));
        }

        Assert.True(cancel.Exit == 0, cancel.ToString());
        using var stopped = JsonDocument.Parse(cancel.Stdout);
        Assert.Equal("failed", stopped.RootElement.GetProperty("status").GetString());
        var error = stopped.RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("cancelled by admin@", error, StringComparison.Ordinal);
        Assert.Contains("before the service was changed (during pre-pull)", error, StringComparison.Ordinal);
        Assert.NotEqual(0, waited.Exit);
        Assert.Contains($"deployment {id} failed: cancelled by admin@", waited.Stderr, StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
    }

    [Fact]
    public async Task NetworkCutDuringPrePull_FailsNamingTheNodeWithoutHanging()
    {
        // Heartbeats every 10 s: node 3 stays a pre-pull target for 30 s after the cut (with 1 s
        // the leader may drop it from the targets first, and the deploy would not meet the cut).
        await RestartClusterAsync("--pre-pull-deadline", "30", "--converge-deadline", "60", "--heartbeat-period", "10");
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        var veth = lab.Env["LAB_NODE3_VETH"];
        CliResult result;
        try
        {
            await ProcessRunner.RunAsync("ip", ["link", "set", veth, "down"], TimeSpan.FromSeconds(30));
            result = await _cluster.Leader.CtlAsync("deploy", _app, "-o", "json");
        }
        finally
        {
            await ProcessRunner.RunAsync("ip", ["link", "set", veth, "up"], TimeSpan.FromSeconds(30));
        }

        Assert.NotEqual(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains($"node {lab.Env.NodeHostname(3)}", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
    }

    [Fact]
    public async Task LeaderKilledMidDeployment_RecordSaysWhichSpecTheServiceIsOn()
    {
        var v1 = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var broken = await PushAsync("broken", crash: true);

        var deploy = _cluster.Leader.CtlAsync("deploy", _app, "--tag", "broken");
        string? id = null;
        await _cluster.WaitAsync("the deployment to have updated the service", async () =>
        {
            var list = await _cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
            using var doc = JsonDocument.Parse(list.Stdout);
            var running = doc.RootElement.EnumerateArray().FirstOrDefault(d => d.GetProperty("status").GetString() == "running");
            id = running.ValueKind == JsonValueKind.Object ? running.GetProperty("id").GetString() : null;
            return id is not null && running.GetProperty("log").EnumerateArray().Any(l => l.GetString()!.Contains("updated service", StringComparison.Ordinal));
        });
        await _cluster.Leader.KillAsync();
        await deploy;

        await _cluster.Leader.StartAsync();

        var show = await _cluster.Leader.CtlAsync("deployment", "show", id!, "-o", "json");
        using var record = JsonDocument.Parse(show.Stdout);
        Assert.Equal("failed", record.RootElement.GetProperty("status").GetString());
        var error = record.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("leader restarted during this deployment", error, StringComparison.Ordinal);
        // The record names the spec the service was on when the leader came back, and its image.
        // Swarm may move the service afterwards on its own: the update's FailureAction is
        // rollback, and the broken image's tasks crash. It never moves forward on its own.
        var service = await ServiceAsync();
        var image = service.Spec!.TaskTemplate!.ContainerSpec!.Image!;
        if (error.Contains("NEW spec", StringComparison.Ordinal))
        {
            Assert.Contains($"@{broken})", error, StringComparison.Ordinal);
            Assert.True(image.EndsWith(broken, StringComparison.Ordinal) || (service.UpdateStatus?.State ?? "").StartsWith("rollback", StringComparison.Ordinal),
                $"the record says NEW spec, but the service is on {image} (update state '{service.UpdateStatus?.State}') and swarm did not roll it back");
        }
        else
        {
            Assert.Contains($"OLD spec (", error, StringComparison.Ordinal);
            Assert.Contains($"@{v1})", error, StringComparison.Ordinal);
            Assert.EndsWith(v1, image, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AgentReconnects_PrePullsTheImageOfEveryAppThatMayRunThere()
    {
        var digest = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--replicas", "1");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var node3 = (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Single(n => n.Hostname == lab.Env.NodeHostname(3));
        var tasks = await RunningTasksAsync();
        Assert.Single(tasks);
        // Keep the task off node 3 so its image can be removed there.
        await _cluster.KillAgentAsync(3);
        using var engine3 = new DockerEngine(lab.Env.NodeSocket(3));
        if (tasks[0].NodeID != node3.Id)
        {
            await engine3.RemoveImageAsync($"{Repository}@{digest}", CancellationToken.None);
            Assert.False(await engine3.ImageExistsAsync($"{Repository}@{digest}", CancellationToken.None));

            _cluster.StartAgent(3);

            await _cluster.WaitAsync("node 3 to pre-pull the app's pinned image on reconnect", () => engine3.ImageExistsAsync($"{Repository}@{digest}", CancellationToken.None));
        }
        else
        {
            // The task runs on node 3 itself; the image is in use there. Check node 2 instead.
            using var engine2 = new DockerEngine(lab.Env.NodeSocket(2));
            await _cluster.KillAgentAsync(2);
            await engine2.RemoveImageAsync($"{Repository}@{digest}", CancellationToken.None);
            _cluster.StartAgent(2);
            _cluster.StartAgent(3);
            await _cluster.WaitAsync("node 2 to pre-pull the app's pinned image on reconnect", () => engine2.ImageExistsAsync($"{Repository}@{digest}", CancellationToken.None));
        }
    }

    [Fact]
    public async Task MultiArchIndex_PinnedByIndexDigest_AndRefusedWhenNoPlatformFitsTheNodes()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        var manifest = await ManifestOfAsync("v1");

        var armOnly = await PushIndexAsync("arm-only", manifest, ("linux", "arm64"));
        var refused = await _cluster.Leader.CtlAsync("deploy", _app, "--tag", "arm-only", "-o", "json");
        Assert.NotEqual(0, refused.Exit);
        using (var doc = JsonDocument.Parse(refused.Stdout))
        {
            Assert.Equal(armOnly, doc.RootElement.GetProperty("digest").GetString());
            var error = doc.RootElement.GetProperty("error").GetString()!;
            Assert.Contains("has no image for", error, StringComparison.Ordinal);
            Assert.Contains($"node {lab.Env.NodeHostname(2)} (linux/amd64)", error, StringComparison.Ordinal);
            Assert.Contains($"node {lab.Env.NodeHostname(3)} (linux/amd64)", error, StringComparison.Ordinal);
            Assert.Contains("linux/arm64", error, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));

        var multi = await PushIndexAsync("multi", manifest, ("linux", "arm64"), ("linux", "amd64"));
        var deployed = await DeployAsync("--tag", "multi");
        Assert.Equal("succeeded", deployed.GetProperty("status").GetString());
        Assert.Equal(multi, deployed.GetProperty("digest").GetString());
        Assert.Equal($"{Repository}:multi@{multi}", (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
    }

    [Fact]
    public async Task RemoveApp_RemovesItsService()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());

        var remove = await _cluster.Leader.CtlAsync("app", "remove", _app);

        Assert.True(remove.Exit == 0, remove.ToString());
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
        Assert.NotEqual(0, (await _cluster.Leader.CtlAsync("app", "show", _app)).Exit);
    }

    // Issue #9.4: `app remove 225r` deleted the unrelated service whose ID began with 225r.
    [Fact]
    public async Task AppNamedLikeAnotherServicesIdPrefix_RemoveLeavesThatServiceRunning()
    {
        var foreign = await CreateForeignServiceAsync("foreign-" + Guid.NewGuid().ToString("N")[..8], labels: null);
        var prefix = foreign[..6];
        Assert.Equal(0, (await _cluster.Leader.CtlAsync("app", "create", prefix, "--image", $"{Repository}:v1")).Exit);

        var remove = await _cluster.Leader.CtlAsync("app", "remove", prefix);

        Assert.True(remove.Exit == 0, remove.ToString());
        Assert.Equal(foreign, (await _manager.Client.Swarm.InspectServiceAsync(foreign)).ID);
        Assert.Contains("no swarm service", remove.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameNamedUnlabeledService_RefusedWithoutAdopt_AdoptedServiceIsReplacedInPlace()
    {
        var digest = await PushAsync("v1");
        var foreign = await CreateForeignServiceAsync(_app, labels: null);

        var refused = await _cluster.Leader.CtlAsync("app", "create", _app, "--image", $"{Repository}:v1", "--constraint", "node.role==worker");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("--adopt", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(foreign[..12], refused.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, (await _cluster.Leader.CtlAsync("app", "show", _app)).Exit);

        var adopt = await _cluster.Leader.CtlAsync("app", "create", _app, "--image", $"{Repository}:v1", "--constraint", "node.role==worker", "--adopt");
        Assert.True(adopt.Exit == 0, adopt.ToString());
        Assert.Contains($"adopting swarm service '{_app}' (id {foreign[..12]}", adopt.Stdout, StringComparison.Ordinal);
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());

        var service = await ServiceAsync();
        Assert.Equal(foreign, service.ID);
        Assert.Equal($"{Repository}:v1@{digest}", service.Spec!.TaskTemplate!.ContainerSpec!.Image);
        Assert.Equal(_app, service.Spec.Labels["cluster.app"]);
        Assert.True(service.Spec.Labels.ContainsKey("cluster.app-id"));
    }

    [Fact]
    public async Task ServiceLabeledForAnotherApp_NeverAdoptedUpdatedOrRemoved()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker");
        var foreign = await CreateForeignServiceAsync(_app, new Dictionary<string, string> { ["cluster.app"] = "someone-else", ["cluster.app-id"] = "0123" });
        var before = await ServiceAsync();

        var deploy = await _cluster.Leader.CtlAsync("deploy", _app, "-o", "json");

        Assert.NotEqual(0, deploy.Exit);
        using (var doc = JsonDocument.Parse(deploy.Stdout))
        {
            Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
            Assert.Contains("labeled for app 'someone-else'", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before.Version!.Index, (await ServiceAsync()).Version!.Index);
        var other = _app + "-b";
        await CreateForeignServiceAsync(other, new Dictionary<string, string> { ["cluster.app"] = "someone-else" });
        var adopt = await _cluster.Leader.CtlAsync("app", "create", other, "--image", $"{Repository}:v1", "--adopt");
        Assert.NotEqual(0, adopt.Exit);
        Assert.Contains("never taken over", adopt.Stderr, StringComparison.Ordinal);

        var remove = await _cluster.Leader.CtlAsync("app", "remove", _app);
        Assert.True(remove.Exit == 0, remove.ToString());
        Assert.Contains("left untouched", remove.Stdout, StringComparison.Ordinal);
        Assert.Equal(foreign, (await ServiceAsync()).ID);
    }

    // Issue #9.5: swarm keeps a service's registry auth, base64 but readable, in every worker's
    // tasks.db and in the managers' raft log. After deploys that pull with a credential, no
    // node's Docker dir and no agent's state dir holds its password, plain or base64-encoded.
    [Fact]
    public async Task DeploysWithACredential_LeaveItsPasswordOnNoNodeDiskAndInNoAgentState()
    {
        await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--replicas", "2", "--registry", "lab");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        await PushAsync("v2");
        Assert.Equal("succeeded", (await DeployAsync("--tag", "v2")).GetProperty("status").GetString());

        var dirs = Enumerable.Range(1, lab.Env.Nodes)
            .SelectMany(n => new[] { Path.GetDirectoryName(lab.Env.NodeSocket(n).AbsolutePath)!, _cluster.StateDir(n) })
            .ToList();
        var hits = SecretScan.Find(dirs, _password);

        Assert.True(hits.Count == 0, "the registry password was found in: " + string.Join(", ", hits));
        // The scan does read what swarm stores: the workers' task stores name the app.
        Assert.NotEmpty(SecretScan.Find([Path.GetDirectoryName(lab.Env.NodeSocket(2).AbsolutePath)!, Path.GetDirectoryName(lab.Env.NodeSocket(3).AbsolutePath)!], _app));
    }

    // Issue #13.2: after the password changes, a rescheduled task must still start on a node
    // whose copy of the image was removed: the agent pulls it again with the current credential.
    [Fact]
    public async Task CredentialRotated_ImageRemovedOnTheOtherWorker_DrainedTaskStartsThere()
    {
        var digest = await PushAsync("v1");
        await CreateAppAsync("v1", "--constraint", "node.role==worker", "--replicas", "1", "--registry", "lab");
        Assert.Equal("succeeded", (await DeployAsync()).GetProperty("status").GetString());
        var newPassword = "rotated-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);
        var update = await _cluster.Leader.CtlWithStdinAsync(newPassword, "registry", "update", "lab", "--password-stdin");
        Assert.True(update.Exit == 0, update.ToString());

        var nodes = await _manager.ListSwarmNodesAsync(CancellationToken.None);
        var running = Assert.Single(await RunningTasksAsync());
        var from = nodes.Single(n => n.Id == running.NodeID);
        var to = nodes.Single(n => n.Role == "worker" && n.Id != from.Id);
        var toNode = Enumerable.Range(1, lab.Env.Nodes).Single(i => lab.Env.NodeHostname(i) == to.Hostname);
        using (var engine = new DockerEngine(lab.Env.NodeSocket(toNode)))
        {
            await engine.RemoveImageAsync($"{Repository}@{digest}", CancellationToken.None);
        }

        try
        {
            await SetAvailabilityAsync(from.Id, "drain");
            await _cluster.WaitAsync($"the task to run on {to.Hostname}", async () =>
            {
                var tasks = await RunningTasksAsync();
                return tasks.Count == 1 && tasks[0].NodeID == to.Id && tasks[0].Spec!.ContainerSpec!.Image == $"{Repository}:v1@{digest}";
            }, TimeSpan.FromSeconds(120));
        }
        finally
        {
            await SetAvailabilityAsync(from.Id, "active");
        }
    }

    // A service made behind the cluster's back: no tasks (0 replicas), so no image is needed.
    private async Task<string> CreateForeignServiceAsync(string name, IDictionary<string, string>? labels)
    {
        var created = await _manager.Client.Swarm.CreateServiceAsync(new ServiceCreateParameters
        {
            Service = new ServiceSpec
            {
                Name = name,
                Labels = labels ?? new Dictionary<string, string>(),
                TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = $"{lab.Env.Registry}/foreign/{name}:1" } },
                Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
            },
        });
        var id = created.ID!;
        _foreignServices.Add(id);
        return id;
    }

    // Issue #13.4: a registry that answers one manifest request with 429 and Retry-After, then
    // works. The deployment waits what the registry asked, asks again and succeeds, saying so in
    // its log; the registry is the lab's real one behind a FaultProxy on the address the engines
    // trust, so the nodes pre-pull through it too.
    [Fact]
    public async Task RegistryRateLimitsTheResolveOnce_DeploymentWaitsItsRetryAfterThenSucceeds()
    {
        var digest = await PushAsync("v1");
        await using var proxy = await StartFaultRegistryAsync();
        await CreateFaultRegistryAppAsync("v1");
        proxy.Add(FaultRule.TooManyRequests("3", times: 1, FaultRule.ManifestRequest));

        var deploy = await DeployAsync();

        Assert.Equal("succeeded", deploy.GetProperty("status").GetString());
        Assert.Equal(digest, deploy.GetProperty("digest").GetString());
        Assert.Single(proxy.Requests, r => r.Status == 429);
        Assert.Contains(deploy.GetProperty("log").EnumerateArray(), l => l.GetString()!.Contains("asking again in 3 s", StringComparison.Ordinal));
        Assert.Equal($"{lab.Env.FaultRegistry}/deploy/{_app}:v1@{digest}", (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
    }

    // ... and one whose Retry-After would end after the resolve deadline (20 s here): the
    // deployment fails at once, naming the wait and the deadline, with no service created.
    [Fact]
    public async Task RegistryRateLimitsPastTheResolveDeadline_FailsAtOnceSayingWhyServiceUntouched()
    {
        await PushAsync("v1");
        await using var proxy = await StartFaultRegistryAsync();
        await CreateFaultRegistryAppAsync("v1");
        proxy.Add(FaultRule.TooManyRequests("600", times: int.MaxValue, FaultRule.ManifestRequest));

        var result = await _cluster.Leader.CtlAsync("deploy", _app, "-o", "json");

        Assert.NotEqual(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        var error = doc.RootElement.GetProperty("error").GetString()!;
        Assert.Contains("retry after 600 s", error, StringComparison.Ordinal);
        Assert.Contains("would pass the deadline", error, StringComparison.Ordinal);
        Assert.Single(proxy.Requests, r => r.Status == 429);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
    }

    // Issue #13.9: `--image REPO:TAG@sha256:...` deploys exactly that digest, and says so when
    // the tag has moved on (Docker's rule: the digest wins). `deploy --tag` is refused with what
    // to type; `app set --tag` replaces the pin and the next deploy follows the tag.
    [Fact]
    public async Task ImagePinnedByDigest_DeploysThatDigestAfterTheTagMoved_SetTagFollowsTheTagAgain()
    {
        var v1 = await PushAsync("v1");
        var moved = await PushAsync("v1");
        Assert.NotEqual(v1, moved);
        var create = await _cluster.Leader.CtlAsync("app", "create", _app, "--image", $"{Repository}:v1@{v1}", "--constraint", "node.role==worker");
        Assert.True(create.Exit == 0, create.ToString());
        var shown = await _cluster.Leader.CtlAsync("app", "show", _app, "-o", "json");
        using (var app = JsonDocument.Parse(shown.Stdout))
        {
            Assert.Equal(v1, app.RootElement.GetProperty("pinnedDigest").GetString());
        }

        var deploy = await DeployAsync();

        Assert.Equal("succeeded", deploy.GetProperty("status").GetString());
        Assert.Equal(v1, deploy.GetProperty("digest").GetString());
        Assert.Equal($"{Repository}:v1@{v1}", (await ServiceAsync()).Spec!.TaskTemplate!.ContainerSpec!.Image);
        Assert.Contains(deploy.GetProperty("log").EnumerateArray(), l => l.GetString()!.Contains($"tag v1 now points to {moved}, not the pinned {v1}", StringComparison.Ordinal));

        var withTag = await _cluster.Leader.CtlAsync("deploy", _app, "--tag", "v1");
        Assert.NotEqual(0, withTag.Exit);
        Assert.Contains($"is pinned to {v1}", withTag.Stderr, StringComparison.Ordinal);
        Assert.Contains($"clusterctl app set {_app} --tag v1", withTag.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, (await _cluster.Leader.CtlAsync("app", "set", _app, "--tag", "v1")).Exit);
        var follow = await DeployAsync();
        Assert.Equal(moved, follow.GetProperty("digest").GetString());
    }

    // A digest the registry does not hold fails at resolve, before any node or the service is touched.
    [Fact]
    public async Task ImagePinnedToADigestTheRegistryLacks_FailsAtResolveServiceUntouched()
    {
        await PushAsync("v1");
        var missing = "sha256:" + new string('0', 63) + "1";
        Assert.Equal(0, (await _cluster.Leader.CtlAsync("app", "create", _app, "--image", $"{Repository}:v1@{missing}", "--constraint", "node.role==worker")).Exit);

        var result = await _cluster.Leader.CtlAsync("deploy", _app, "-o", "json");

        Assert.NotEqual(0, result.Exit);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("failed", doc.RootElement.GetProperty("status").GetString());
        Assert.Contains(missing, doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
    }

    // This test's own leader and agents, with other flags (the pull credential added again).
    private async Task RestartClusterAsync(params string[] leaderArgs)
    {
        await _cluster.DisposeAsync();
        _cluster = await AgentCluster.StartAsync(lab.Env, leaderArgs);
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", "lab", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        Assert.True(add.Exit == 0, add.ToString());
    }

    private async Task<FaultProxy> StartFaultRegistryAsync()
    {
        var (host, port) = (lab.Env.FaultRegistry.Split(':')[0], int.Parse(lab.Env.FaultRegistry.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
        var proxy = await FaultProxy.StartAsync(new Uri($"http://{lab.Env.Registry}/"), System.Net.IPAddress.Parse(host), port);
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", "fault", "--provider", "generic", "--url", lab.Env.FaultRegistry, "--username", _user, "--password-stdin", "--insecure");
        Assert.True(add.Exit == 0, add.ToString());
        return proxy;
    }

    private async Task CreateFaultRegistryAppAsync(string tag)
    {
        var create = await _cluster.Leader.CtlAsync("app", "create", _app, "--image", $"{lab.Env.FaultRegistry}/deploy/{_app}:{tag}", "--constraint", "node.role==worker", "--registry", "fault");
        Assert.True(create.Exit == 0, create.ToString());
    }

    private Task<string> PushAsync(string tag, bool crash = false) =>
        PushAsync(tag, crash ? TestImages.Crashing(Guid.NewGuid().ToString("N")) : TestImages.Context(Guid.NewGuid().ToString("N")));

    private async Task<string> PushAsync(string tag, BuildContext context)
    {
        var image = ImageReference.Parse($"{Repository}:{tag}");
        await _manager.BuildImageAsync(context, image.Canonical, null, CancellationToken.None);
        return await _manager.PushImageAsync(image, new RegistryLogin(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword), CancellationToken.None);
    }

    private async Task<ManifestDigest> ManifestOfAsync(string tag)
    {
        using var registry = new RegistryClient();
        var result = await registry.ResolveAsync(RegistryHost.Parse(lab.Env.Registry, insecure: true), ImageReference.Parse($"{Repository}:{tag}"),
            new RegistryLogin(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword), CancellationToken.None);
        Assert.True(result.Check.Ok, result.Check.Message);
        return result.Value!;
    }

    // Pushes a manifest list naming the one real manifest under the given platforms (the
    // registry checks only that the referenced manifest exists), returning the list's digest.
    private async Task<string> PushIndexAsync(string tag, ManifestDigest manifest, params (string Os, string Arch)[] platforms)
    {
        var index = new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.docker.distribution.manifest.list.v2+json",
            manifests = platforms.Select(p => new { mediaType = manifest.MediaType, digest = manifest.Digest, size = manifest.Size ?? 0, platform = new { architecture = p.Arch, os = p.Os } }).ToArray(),
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"http://{lab.Env.Registry}/v2/{Repository[(lab.Env.Registry.Length + 1)..]}/manifests/{tag}")
        {
            Content = new StringContent(JsonSerializer.Serialize(index), System.Text.Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.docker.distribution.manifest.list.v2+json");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{lab.Env.RegistryUser}:{lab.Env.RegistryPassword}")));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    private async Task CreateAppAsync(string tag, params string[] args)
    {
        var create = await _cluster.Leader.CtlAsync(["app", "create", _app, "--image", $"{Repository}:{tag}", .. args]);
        Assert.True(create.Exit == 0, create.ToString());
    }

    private async Task<JsonElement> DeployAsync(params string[] args)
    {
        var deploy = await _cluster.Leader.CtlAsync(["deploy", _app, "-o", "json", .. args]);
        using var doc = JsonDocument.Parse(deploy.Stdout.Length > 0 ? deploy.Stdout : "{}");
        Assert.True(deploy.Exit == 0, deploy.ToString());
        return doc.RootElement.Clone();
    }

    // The id of the app's running deployment, once its log has a line containing logLine.
    private async Task<string> RunningDeploymentAsync(string logLine)
    {
        string? id = null;
        await _cluster.WaitAsync($"a running deployment to log '{logLine}'", async () =>
        {
            var list = await _cluster.Leader.CtlAsync("deployment", "list", _app, "-o", "json");
            using var doc = JsonDocument.Parse(list.Stdout);
            var running = doc.RootElement.EnumerateArray().FirstOrDefault(d => d.GetProperty("status").GetString() == "running");
            id = running.ValueKind == JsonValueKind.Object ? running.GetProperty("id").GetString() : null;
            return id is not null && running.GetProperty("log").EnumerateArray().Any(l => l.GetString()!.Contains(logLine, StringComparison.Ordinal));
        });
        return id!;
    }

    private Task<SwarmService> ServiceAsync() => _manager.Client.Swarm.InspectServiceAsync(_app);

    private Task<IReadOnlyList<TaskResponse>> RunningTasksAsync() => SwarmOps.RunningTasksAsync(_manager, _app);

    private async Task<HashSet<string>> WorkerIdsAsync() =>
        (await _manager.ListSwarmNodesAsync(CancellationToken.None)).Where(n => n.Role == "worker").Select(n => n.Id).ToHashSet();

    private Task SetAvailabilityAsync(string nodeId, string availability) => SwarmOps.SetAvailabilityAsync(_manager, nodeId, availability);
}
