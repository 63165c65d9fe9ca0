using System.Net;
using System.Net.Sockets;
using Cluster.Core.Security;
using Cluster.Testing;

namespace Cluster.Leader.Tests.Support;

// The real cluster-leader binary on 127.0.0.1 with its own temp data dir and an engine socket
// that does not exist: everything that does not need Docker works, which is all the API gate
// and the token files need. clusterctl runs as its real binary against it.
public sealed class LeaderBinary : ITestLeader, IAsyncDisposable
{
    private readonly string _root;
    private readonly string[] _extraArgs;
    private Daemon? _daemon;
    private string _outputBefore = "";

    private LeaderBinary(string root, int port, string[] extraArgs)
    {
        _root = root;
        Port = port;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string DataDir => Path.Combine(_root, "data");

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public string JoinToken => File.ReadAllText(Path.Combine(DataDir, "join.token")).Trim();

    public string CaFingerprint => ClusterToken.TryParse(AdminToken, out var token, out var error) ? token.CaFingerprint : throw new InvalidOperationException(error);

    // Everything the leader printed, across restarts.
    public string Output => _outputBefore + _daemon?.Output;

    // extraArgs: more cluster-leader flags (e.g. --webhook-listen; a --docker-host there replaces
    // the engine socket that does not exist).
    public static async Task<LeaderBinary> StartAsync(params string[] extraArgs)
    {
        var root = Directory.CreateTempSubdirectory("cluster-leader-tests-").FullName;
        var port = FreePort();
        var leader = new LeaderBinary(root, port, extraArgs);
        await leader.LaunchAsync();
        return leader;
    }

    // Stops the leader (SIGTERM, as systemd does) and keeps its data dir, for RestartAsync.
    public async Task StopAsync()
    {
        _daemon!.Signal("TERM");
        await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _outputBefore += _daemon.Output;
        await _daemon.DisposeAsync();
        _daemon = null;
    }

    // Starts the leader again on the same data dir, port and flags.
    public Task RestartAsync() => _daemon is null ? LaunchAsync() : throw new InvalidOperationException("the leader is running; StopAsync first");

    private async Task LaunchAsync()
    {
        var engine = _extraArgs.Contains("--docker-host") ? [] : new[] { "--docker-host", $"unix://{_root}/no-engine.sock" };
        _daemon = Daemon.Start("Leader", "cluster-leader",
            ["--data-dir", DataDir, "--listen", $"127.0.0.1:{Port}", .. engine, .. _extraArgs]);
        if (!await _daemon.WaitForOutputAsync($"listening on 127.0.0.1:{Port}", TimeSpan.FromSeconds(60)))
        {
            var output = _daemon.Output;
            await DisposeAsync();
            throw new InvalidOperationException($"cluster-leader did not start:\n{output}");
        }
    }

    // The real clusterctl binary against this leader, the token passed as CLUSTER_TOKEN (never
    // argv), no config file. Output is stdout and stderr interleaved.
    public Task<ProcessResult> CtlAsync(string? token, params string[] args) => RunCtlAsync(token, null, args);

    // With the admin token and this text on clusterctl's stdin (passwords: --password-stdin).
    public Task<ProcessResult> CtlWithStdinAsync(string stdin, params string[] args) => RunCtlAsync(null, stdin, args);

    private async Task<ProcessResult> RunCtlAsync(string? token, string? stdin, string[] args) =>
        await ProcessRunner.RunAsync(Daemon.PathOf("Cli", "clusterctl"), args, TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["CLUSTER_LEADER"] = Address,
            ["CLUSTER_TOKEN"] = token ?? AdminToken,
            ["CLUSTER_CONFIG"] = Path.Combine(_root, "no-clusterctl.conf"),
        }, stdin);

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await StopAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless; never fail a test on cleanup.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
