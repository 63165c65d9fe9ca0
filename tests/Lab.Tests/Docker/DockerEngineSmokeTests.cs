using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Docker;

// Proves the lab is real and the Docker helpers classify failures: build on the manager, push to
// the authenticated registry, pull on a worker with credentials, and see wrong credentials come
// back as RegistryFailureKind.Unauthorized from the code's own classification.
[Collection(LabCollection.Name)]
public sealed class DockerEngineSmokeTests(LabFixture lab)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private RegistryLogin Login => new(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword);

    private RegistryLogin WrongLogin => new(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword + "-wrong");

    [Fact]
    public async Task BuildPushPull_AcrossNodes_WorksWithCredentialsAndIsUnauthorizedWithout()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var ct = cts.Token;
        var tag = "smoke-" + Guid.NewGuid().ToString("N")[..12];
        var image = ImageReference.Parse($"{lab.Env.Registry}/smoke/hello:{tag}");

        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        var managerInfo = await manager.GetInfoAsync(ct);
        Assert.True(managerInfo.IsSwarmManager, "node 1 should be the swarm manager");
        Assert.Equal(lab.Env.NodeHostname(1), managerInfo.Hostname);

        var imageId = await manager.BuildImageAsync(TestImages.Context(tag), image.Canonical, log: null, ct);
        Assert.StartsWith("sha256:", imageId, StringComparison.Ordinal);

        // Push with a wrong password: the engine call "succeeds" and hides the error in the stream.
        var badPush = await Assert.ThrowsAsync<DockerOperationException>(() => manager.PushImageAsync(image, WrongLogin, ct));
        Assert.Equal(RegistryFailureKind.Unauthorized, badPush.Kind);

        var digest = await manager.PushImageAsync(image, Login, ct);
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);

        // A worker pulls the pinned digest with the credential.
        using var worker = new DockerEngine(lab.Env.NodeSocket(2));
        var workerInfo = await worker.GetInfoAsync(ct);
        Assert.False(workerInfo.IsSwarmManager);
        Assert.NotNull(workerInfo.SwarmNodeId);
        var pinned = image.WithDigest(digest);
        Assert.False(await worker.ImageExistsAsync(pinned.Canonical, ct));
        await worker.PullImageAsync(pinned, Login, progress: null, ct);
        Assert.True(await worker.ImageExistsAsync($"{image.Name}@{digest}", ct));

        // Another worker, with a wrong password: the engine throws a 500 whose text says
        // unauthorized; the helpers classify it.
        using var other = new DockerEngine(lab.Env.NodeSocket(lab.Env.Nodes));
        var badPull = await Assert.ThrowsAsync<DockerOperationException>(() => other.PullImageAsync(pinned, WrongLogin, progress: null, ct));
        Assert.Equal(RegistryFailureKind.Unauthorized, badPull.Kind);
        Assert.Equal("pull", badPull.Operation);
        Assert.DoesNotContain(WrongLogin.Secret, badPull.Message, StringComparison.Ordinal);
    }

    // The confirm step wakes on these: swarm sends a service event when an update starts and
    // when it completes (its monitor period after the new task started), so the step does not
    // wait for its next poll to see the update done.
    [Fact]
    public async Task WatchServiceEvents_UpdateOfTheService_ReportsItsStartAndCompletion()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var ct = cts.Token;
        var tag = "events-" + Guid.NewGuid().ToString("N")[..12];
        var image = $"127.0.0.1:1/lab-test/events:{tag}";   // local only: swarm's pull fails at once
        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        await manager.BuildImageAsync(TestImages.Context(tag), image, log: null, ct);
        var spec = new global::Docker.DotNet.Models.ServiceSpec
        {
            Name = tag,
            TaskTemplate = new global::Docker.DotNet.Models.TaskSpec
            {
                ContainerSpec = new global::Docker.DotNet.Models.ContainerSpec { Image = image, Env = ["ROUND=1"] },
                Placement = new global::Docker.DotNet.Models.Placement { Constraints = [$"node.hostname=={lab.Env.NodeHostname(1)}"] },
            },
            Mode = new global::Docker.DotNet.Models.ServiceMode { Replicated = new global::Docker.DotNet.Models.ReplicatedService { Replicas = 1 } },
            UpdateConfig = new global::Docker.DotNet.Models.SwarmUpdateConfig { Parallelism = 1, Monitor = TimeSpan.FromSeconds(1), Order = "start-first" },
        };
        var id = await manager.CreateServiceAsync(spec, ct);
        try
        {
            var events = 0;
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watch = manager.WatchServiceEventsAsync(id, () => Interlocked.Increment(ref events), watching.Token);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);   // the stream is open before the update
            var created = await manager.InspectServiceAsync(id, ct);
            spec.TaskTemplate.ContainerSpec.Env = ["ROUND=2"];
            await manager.UpdateServiceAsync(created!, spec, ct);

            string? state = null;
            while (state != "completed" && !ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
                state = (await manager.InspectServiceAsync(id, ct))?.UpdateStatus?.State;
            }

            // Swarm saves the completed state and sends its event together; give the event a moment.
            for (var i = 0; i < 50 && Volatile.Read(ref events) < 3; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }

            Assert.Equal("completed", state);
            // The spec's update, "updating", then "completed".
            Assert.True(Volatile.Read(ref events) >= 3, $"{events} service events for an update that completed");
            await watching.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch);
        }
        finally
        {
            var service = await manager.InspectServiceAsync(id, CancellationToken.None);
            if (service is not null)
            {
                await manager.RemoveServiceAsync(service, CancellationToken.None);
            }
        }
    }

    // The agent's PinKeeper wakes on these to pull a pinned image someone removed.
    [Fact]
    public async Task WatchImageRemovals_UntagOfAnImage_IsReported()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var ct = cts.Token;
        var tag = "removal-" + Guid.NewGuid().ToString("N")[..12];
        var image = $"127.0.0.1:1/lab-test/removal:{tag}";
        using var engine = new DockerEngine(lab.Env.NodeSocket(2));
        await engine.BuildImageAsync(TestImages.Context(tag), image, log: null, ct);
        var removals = 0;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watch = engine.WatchImageRemovalsAsync(() => Interlocked.Increment(ref removals), watching.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);   // the stream is open before the removal

        await engine.RemoveImageReferenceAsync(image, ct);
        for (var i = 0; i < 100 && Volatile.Read(ref removals) == 0; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }

        Assert.True(Volatile.Read(ref removals) >= 1, "no removal reported for an untagged image");
        await watching.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watch);
    }

    [Fact]
    public async Task PullImage_MissingTag_IsNotFound()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var worker = new DockerEngine(lab.Env.NodeSocket(2));
        var missing = ImageReference.Parse($"{lab.Env.Registry}/smoke/hello:does-not-exist-{Guid.NewGuid():N}");

        var error = await Assert.ThrowsAsync<DockerOperationException>(() => worker.PullImageAsync(missing, Login, progress: null, cts.Token));

        Assert.Equal(RegistryFailureKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task CheckLogin_ThroughEachNodesEngine_AcceptsRightAndRejectsWrongPassword()
    {
        using var cts = new CancellationTokenSource(Deadline);
        for (var node = 1; node <= lab.Env.Nodes; node++)
        {
            using var engine = new DockerEngine(lab.Env.NodeSocket(node));
            await engine.CheckLoginAsync(Login, cts.Token);
            var error = await Assert.ThrowsAsync<DockerOperationException>(() => engine.CheckLoginAsync(WrongLogin, cts.Token));
            Assert.Equal(RegistryFailureKind.Unauthorized, error.Kind);
        }
    }
}
