using System.Text.Json;
using Cluster.Lab.Tests.Agents;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Builds;

// The lab for build tests: a leader and agents on every node (AgentCluster), a real
// cluster-builder inside node 1's network namespace on node 1's engine, and a real Git server
// (git daemon + smart HTTP with basic auth) on the lab bridge, started by the test. The build
// registry is the lab registry with a push-only credential of its own user, and the agents get
// a separate pull credential.
public sealed class BuildCluster : IAsyncDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly LabEnvironment _env;

    private BuildCluster(LabEnvironment env, AgentCluster agents, GitServer git, Daemon builder, string workDir)
    {
        _env = env;
        Agents = agents;
        Git = git;
        Builder = builder;
        WorkDir = workDir;
    }

    public AgentCluster Agents { get; }

    public LeaderProcess Leader => Agents.Leader;

    public GitServer Git { get; }

    public Daemon Builder { get; }

    public string WorkDir { get; }

    public string PushPassword { get; } = "build-push-pw-" + Guid.NewGuid().ToString("N");

    public string PushUser { get; } = "bp" + Guid.NewGuid().ToString("N")[..10];

    public string Namespace { get; private set; } = "";

    public static Task<BuildCluster> StartAsync(LabEnvironment env, params string[] leaderArgs) =>
        StartOnAsync(env, [.. Enumerable.Range(1, env?.Nodes ?? 0)], leaderArgs);

    // Agents on `nodes` only (node 1, which runs the builder, among them).
    public static async Task<BuildCluster> StartOnAsync(LabEnvironment env, IReadOnlyList<int> nodes, params string[] leaderArgs)
    {
        ArgumentNullException.ThrowIfNull(env);
        var agents = await AgentCluster.StartOnAsync(env, nodes, new Dictionary<string, string>(), leaderArgs);
        var git = await GitServer.StartAsync(env.HostIp);
        var workDir = Path.Combine(agents.Dir, "builder");
        var builder = Daemon.StartInNetns(env["LAB_NODE1_NETNS"], "BuildServer", "cluster-builder",
            "--leader", agents.Leader.Address, "--join-token-file", agents.TokenFile, "--work-dir", workDir, "--docker-host", env.NodeSocket(1).ToString());
        var cluster = new BuildCluster(env, agents, git, builder, workDir);
        await agents.WaitAsync("the build server ready", async () =>
            (await agents.NodesAsync()).Any(n => n.GetProperty("role").GetString() == "builder" && n.GetProperty("status").GetString() == "ready"));
        return cluster;
    }

    // A pull credential for the agents and a push-only one made the build registry.
    public async Task UseLabRegistryAsync()
    {
        var pullUser = "bu" + Guid.NewGuid().ToString("N")[..10];
        var pullPassword = "build-pull-pw-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(_env, pullUser, pullPassword);
        await Htpasswd.SetAsync(_env, PushUser, PushPassword);
        Check(await Leader.CtlWithStdinAsync(pullPassword, "registry", "add", "lab-pull", "--provider", "generic", "--url", _env.Registry, "--username", pullUser, "--password-stdin", "--insecure"));
        Check(await Leader.CtlWithStdinAsync(PushPassword, "registry", "add", "lab-push", "--provider", "generic", "--url", _env.Registry, "--username", PushUser, "--password-stdin", "--insecure", "--push-only"));
        Namespace = $"{_env.Registry}/builds-{Guid.NewGuid().ToString("N")[..8]}";
        Check(await Leader.CtlAsync("cluster", "set-registry", "lab-push", "--namespace", Namespace));
    }

    // A repository whose Dockerfile builds FROM scratch with the static busybox. `dockerfile`
    // replaces the working one (for failing builds); `extra` adds files.
    public Task<string> CommitAppAsync(string repository, string branch, string marker, string? dockerfile = null, params (string Path, string Text)[] extra)
    {
        var files = new Dictionary<string, (byte[] Content, UnixFileMode? Mode)>(StringComparer.Ordinal)
        {
            ["Dockerfile"] = (System.Text.Encoding.UTF8.GetBytes(dockerfile ?? """
                FROM scratch
                COPY busybox /bin/busybox
                COPY marker /marker
                CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
                """), null),
            ["busybox"] = (File.ReadAllBytes(TestImages.Busybox), Executable),
            ["marker"] = (System.Text.Encoding.UTF8.GetBytes(marker + "\n"), null),
        };
        foreach (var (path, text) in extra)
        {
            files[path] = (System.Text.Encoding.UTF8.GetBytes(text), null);
        }

        return Git.CommitAsync(repository, branch, files);
    }

    public async Task<(CliResult Result, JsonElement Deployment)> DeployAsync(string app)
    {
        var result = await Leader.CtlAsync("deploy", app, "-o", "json");
        var start = result.Stdout.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"deploy printed no JSON: {result}\nbuilder log:\n{Builder.Output}");
        }

        using var doc = JsonDocument.Parse(result.Stdout[start..]);
        return (result, doc.RootElement.Clone());
    }

    public static void Check(CliResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Assert.True(result.Exit == 0, result.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Builder.DisposeAsync();
        await Git.DisposeAsync();
        await Agents.DisposeAsync();
    }
}
