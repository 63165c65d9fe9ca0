using System.Net;
using System.Net.Sockets;
using Cluster.Core.Security;
using Cluster.Testing;

namespace Cluster.Leader.Tests.Support;

// The real cluster-leader binary on 127.0.0.1 with its own temp data dir and an engine socket
// that does not exist: everything that does not need Docker works, which is all the API gate
// and the token files need. clusterctl runs as its real binary against it.
public sealed class LeaderBinary : IAsyncDisposable
{
    private readonly string _root;
    private readonly Daemon _daemon;

    private LeaderBinary(string root, int port, Daemon daemon)
    {
        _root = root;
        Port = port;
        _daemon = daemon;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string DataDir => Path.Combine(_root, "data");

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public string JoinToken => File.ReadAllText(Path.Combine(DataDir, "join.token")).Trim();

    public string CaFingerprint => ClusterToken.TryParse(AdminToken, out var token, out var error) ? token.CaFingerprint : throw new InvalidOperationException(error);

    public string Output => _daemon.Output;

    // extraArgs: more cluster-leader flags (e.g. --webhook-listen).
    public static async Task<LeaderBinary> StartAsync(params string[] extraArgs)
    {
        var root = Directory.CreateTempSubdirectory("cluster-leader-tests-").FullName;
        var port = FreePort();
        var daemon = Daemon.Start("Leader", "cluster-leader",
            ["--data-dir", Path.Combine(root, "data"), "--listen", $"127.0.0.1:{port}", "--docker-host", $"unix://{root}/no-engine.sock", .. extraArgs]);
        var leader = new LeaderBinary(root, port, daemon);
        if (!await daemon.WaitForOutputAsync($"listening on 127.0.0.1:{port}", TimeSpan.FromSeconds(60)))
        {
            var output = daemon.Output;
            await leader.DisposeAsync();
            throw new InvalidOperationException($"cluster-leader did not start:\n{output}");
        }

        return leader;
    }

    // The real clusterctl binary against this leader, the token passed as CLUSTER_TOKEN (never
    // argv), no config file. Output is stdout and stderr interleaved.
    public async Task<ProcessResult> CtlAsync(string? token, params string[] args) =>
        await ProcessRunner.RunAsync(Daemon.PathOf("Cli", "clusterctl"), args, TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["CLUSTER_LEADER"] = Address,
            ["CLUSTER_TOKEN"] = token ?? AdminToken,
            ["CLUSTER_CONFIG"] = Path.Combine(_root, "no-clusterctl.conf"),
        });

    public async ValueTask DisposeAsync()
    {
        _daemon.Signal("TERM");
        await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await _daemon.DisposeAsync();
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
