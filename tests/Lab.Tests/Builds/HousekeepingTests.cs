using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Builds;

// Issue #10 item 7 on the lab's 3-node swarm: after each deployment of a built app the leader
// sends its keep list to the build server and the agents, and each engine keeps the newest 5
// images of the app (the default --keep-images), plus any image a service still runs, and never
// an image the build servers did not make, whatever its name.
[Collection(LabCollection.Name)]
public sealed class HousekeepingTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private const int Builds = 7;

    private readonly string _app = "h-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _pinnedApp = "hp-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<int, DockerEngine> _engines = [];
    private BuildCluster _cluster = null!;
    private DockerEngine _manager = null!;

    public async Task InitializeAsync()
    {
        _cluster = await BuildCluster.StartAsync(lab.Env, "--pre-pull-deadline", "60", "--converge-deadline", "60");
        _manager = new DockerEngine(lab.Env.ManagerSocket);
        for (var node = 1; node <= lab.Env.Nodes; node++)
        {
            _engines[node] = new DockerEngine(lab.Env.NodeSocket(node));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var service in new[] { _app, _pinnedApp })
        {
            try
            {
                await _manager.Client.Swarm.RemoveServiceAsync(service);
            }
            catch (global::Docker.DotNet.DockerApiException)
            {
                // not created
            }
        }

        await _cluster.DisposeAsync();
    }

    public void Dispose()
    {
        _manager?.Dispose();
        foreach (var engine in _engines.Values)
        {
            engine.Dispose();
        }
    }

    [Fact]
    public async Task SevenBuilds_EveryEngineKeepsTheNewestFivePlusTheOneAServiceRuns_AndNeverAForeignImage()
    {
        await _cluster.UseLabRegistryAsync();
        // Same repository name as the built images, but not built by the cluster: never touched.
        var foreign = $"{_cluster.Namespace}/{_app}:foreign";
        await _engines[2].BuildImageAsync(TestImages.Context("foreign"), foreign, null, CancellationToken.None);

        var digests = new List<string>();
        for (var build = 1; build <= Builds; build++)
        {
            await _cluster.CommitAppAsync("web", "main", $"v{build}");
            if (build == 1)
            {
                BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", _cluster.Git.GitUrl("web"), "--ref", "main"));
            }

            var (result, deployment) = await _cluster.DeployAsync(_app);
            Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{_cluster.Builder.Output}");
            digests.Add(deployment.GetProperty("digest").GetString()!);
            if (build == 1)
            {
                // A second app runs the first build's image, pinned: a service references it
                // long after it is no longer among the newest five.
                var first = (await _manager.Client.Swarm.InspectServiceAsync(_app)).Spec!.TaskTemplate!.ContainerSpec!.Image!;
                BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _pinnedApp, "--image", first, "--registry", "lab-pull"));
                var pinned = await _cluster.Leader.CtlAsync("deploy", _pinnedApp, "-o", "json");
                Assert.True(pinned.Exit == 0, pinned.ToString());
            }
        }

        // Every engine: the newest five and the pinned first one; the second build's is gone.
        var expected = digests.Skip(Builds - 5).Append(digests[0]).Order().ToList();
        foreach (var (node, engine) in _engines)
        {
            await _cluster.Agents.WaitAsync($"node {node} to keep 6 images of {_app}", async () =>
                (await BuiltDigestsAsync(engine)).Count == expected.Count, TimeSpan.FromSeconds(90));
            Assert.Equal(expected, await BuiltDigestsAsync(engine));
        }

        Assert.NotNull(await _engines[2].FindImageIdAsync(foreign, CancellationToken.None));
        Assert.Single(await SwarmOps.RunningTasksAsync(_manager, _pinnedApp));
        Assert.Contains("housekeeping: sent prune orders", _cluster.Leader.Log, StringComparison.Ordinal);
    }

    // The manifest digests of the app's built images this engine holds.
    private async Task<IReadOnlyList<string>> BuiltDigestsAsync(DockerEngine engine) =>
        [.. (await engine.ListImagesWithLabelAsync("cluster.app", CancellationToken.None))
            .Where(i => i.Labels.TryGetValue("cluster.app", out var app) && app == _app)
            .SelectMany(i => i.RepoDigests.Select(d => d[(d.IndexOf('@', StringComparison.Ordinal) + 1)..]).Distinct())
            .Order()];
}
