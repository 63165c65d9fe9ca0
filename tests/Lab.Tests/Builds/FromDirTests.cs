using System.Text.Json;
using Cluster.Core.Builds;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Docker.DotNet.Models;

namespace Cluster.Lab.Tests.Builds;

// `app create --from-dir` / `deploy --from-dir PATH` on the lab's real 3-node swarm: a folder
// on this machine, packed by clusterctl (.dockerignore honoured), uploaded to the real leader,
// fetched by the real cluster-builder on node 1, built by node 1's engine, pushed to the lab
// registry, pre-pulled by the agents and run pinned on both workers. Not run yet when written
// (the lab belongs to the lead); the same pipeline after the build as BuildTests.
[Collection(LabCollection.Name)]
public sealed class FromDirTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _app = "f-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir = Directory.CreateTempSubdirectory("fromdir-lab-").FullName;
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

    public void Dispose()
    {
        _manager?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task FromDirApp_Deploy_BuildsTheFolderPushesPrePullsAndRunsItOnEveryWorker()
    {
        await _cluster.UseLabRegistryAsync();
        // The build itself proves .dockerignore was honoured: it fails if secret.txt was sent.
        var folder = Folder("site", """
            FROM scratch
            COPY busybox /bin/busybox
            COPY . /ctx/
            RUN ["/bin/busybox", "sh", "-c", "test -e /ctx/marker && test ! -e /ctx/secret.txt && test ! -e /ctx/logs"]
            CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
            """, ("marker", "v1\n"), ("secret.txt", "NOT-FOR-THE-IMAGE"), ("logs/a.log", "noise"), (".dockerignore", "secret.txt\nlogs/\n"));
        var sha = Sha256Of(folder);
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--from-dir", "--constraint", "node.role==worker", "--replicas", "2"));

        var (result, deployment) = await DeployAsync(folder);

        Assert.True(result.Exit == 0, $"{result}\nbuilder:\n{_cluster.Builder.Output}");
        Assert.Equal("succeeded", deployment.GetProperty("status").GetString());
        var digest = deployment.GetProperty("digest").GetString()!;
        var pinned = $"{_cluster.Namespace}/{_app}:{sha[..12]}@{digest}";
        var service = await _manager.Client.Swarm.InspectServiceAsync(_app);
        Assert.Equal(pinned, service.Spec!.TaskTemplate!.ContainerSpec!.Image);
        var prePulls = deployment.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("step").GetString() == "pre-pull").ToList();
        Assert.Equal([lab.Env.NodeHostname(2), lab.Env.NodeHostname(3)], prePulls.Select(n => n.GetProperty("node").GetString()).Order());
        var tasks = await _manager.Client.Tasks.ListAsync(new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [_app] = true }, ["desired-state"] = new Dictionary<string, bool> { ["running"] = true } } });
        Assert.Equal(2, tasks.Count);

        // On record: the folder's name and the sha256 of exactly what was built; no commit.
        var show = await _cluster.Leader.CtlAsync("deployment", "show", deployment.GetProperty("id").GetString()!, "-o", "json");
        using var shown = JsonDocument.Parse(show.Stdout);
        Assert.Equal($"dir:site@sha256:{sha}", shown.RootElement.GetProperty("source").GetString());
        Assert.Equal(sha, shown.RootElement.GetProperty("sourceSha256").GetString());
        var build = shown.RootElement.GetProperty("build");
        Assert.Equal(JsonValueKind.Null, build.GetProperty("commit").ValueKind);
        Assert.Contains(build.GetProperty("log").EnumerateArray(), l => l.GetString()!.Contains("sha256 " + sha + " verified", StringComparison.Ordinal));
        using var node1 = new DockerEngine(lab.Env.NodeSocket(1));
        var image = await node1.Client.Images.InspectImageAsync($"{_cluster.Namespace}/{_app}:{sha[..12]}");
        Assert.Equal(sha, image.Config!.Labels!["cluster.context-sha256"]);

        // The upload lived as long as the build: nothing left on the leader or the builder.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cluster.Leader.DataDir, "uploads")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cluster.WorkDir, "jobs")));
        using var app = JsonDocument.Parse((await _cluster.Leader.CtlAsync("app", "show", _app, "-o", "json")).Stdout);
        Assert.Equal("dir", app.RootElement.GetProperty("source").GetString());
    }

    [Fact]
    public async Task FromDirApp_FailingBuild_StopsAtTheBuildStepAndTheUploadIsGone()
    {
        await _cluster.UseLabRegistryAsync();
        var folder = Folder("broken", """
            FROM scratch
            COPY busybox /bin/busybox
            RUN ["/bin/busybox", "sh", "-c", "echo 'error: it broke' >&2; exit 3"]
            """);
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--from-dir", "--constraint", "node.role==worker"));

        var (result, deployment) = await DeployAsync(folder);

        Assert.NotEqual(0, result.Exit);
        Assert.Equal("failed", deployment.GetProperty("status").GetString());
        Assert.Contains("build failed", deployment.GetProperty("error").GetString()!, StringComparison.Ordinal);
        Assert.Contains("no service was touched", deployment.GetProperty("error").GetString()!, StringComparison.Ordinal);
        await Assert.ThrowsAsync<global::Docker.DotNet.DockerApiException>(() => _manager.Client.Swarm.InspectServiceAsync(_app));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_cluster.Leader.DataDir, "uploads")));
    }

    private async Task<(CliResult Result, JsonElement Deployment)> DeployAsync(string folder)
    {
        var result = await _cluster.Leader.CtlAsync("deploy", _app, "--from-dir", folder, "-o", "json");
        var start = result.Stdout.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"deploy printed no JSON: {result}\nbuilder log:\n{_cluster.Builder.Output}");
        }

        using var doc = JsonDocument.Parse(result.Stdout[start..]);
        return (result, doc.RootElement.Clone());
    }

    // What clusterctl sends for this folder: the packer is deterministic, so packing it here
    // gives the same sha256.
    private static string Sha256Of(string folder)
    {
        using var tar = new MemoryStream();
        return ContextPacker.Pack(folder, "Dockerfile", tar, 512L << 20).Sha256;
    }

    private string Folder(string name, string dockerfile, params (string Path, string Text)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        File.WriteAllText(Path.Combine(root, "Dockerfile"), dockerfile + "\n");
        File.Copy(TestImages.Busybox, Path.Combine(root, "busybox"));
        File.SetUnixFileMode(Path.Combine(root, "busybox"), Executable);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }

        return root;
    }
}
