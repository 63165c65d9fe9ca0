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
