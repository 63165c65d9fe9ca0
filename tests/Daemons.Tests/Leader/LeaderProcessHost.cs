using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Testing;
using Grpc.Net.Client;

namespace Cluster.Daemons.Tests.Leader;

// The leader binary Daemon.PathOf names (the native one when CLUSTER_TEST_LEADER is set) on
// loopback, with an engine socket that does not exist, and clusterctl run as a process against
// it. The admin token reaches clusterctl through CLUSTER_TOKEN, secrets through stdin: nothing
// secret is ever in argv.
internal sealed class LeaderProcessHost : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cluster-leader-daemon-").FullName;
    private readonly List<string> _earlierLogs = [];
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Daemon? _daemon;

    private LeaderProcessHost(IReadOnlyDictionary<string, string>? environment)
    {
        _environment = environment ?? new Dictionary<string, string>();
        Port = FreePort();
    }

    public string Root => _root;

    public string DataDir => Path.Combine(_root, "data");

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public string JoinToken => File.ReadAllText(Path.Combine(DataDir, "join.token")).Trim();

    // Everything the leader printed, across restarts.
    public string Log => string.Join("\n", [.. _earlierLogs, _daemon?.Output ?? ""]);

    // environment: extra variables for the leader process (e.g. a PATH with a test credential helper).
    public static async Task<LeaderProcessHost> StartAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = new LeaderProcessHost(environment);
        try
        {
            await host.StartAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async Task StartAsync()
    {
        _daemon = Daemon.StartWithEnvironment("Leader", "cluster-leader", _environment,
            "--data-dir", DataDir, "--listen", Address, "--docker-host", $"unix://{_root}/no-engine.sock");
        if (!await _daemon.WaitForOutputAsync("listening on " + Address, TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException($"cluster-leader ({Daemon.PathOf("Leader", "cluster-leader")}) did not start:\n{_daemon.Output}");
        }
    }

    // SIGTERM, as systemd stops it; the leader must exit 0.
    public async Task StopAsync()
    {
        if (_daemon is null)
        {
            return;
        }

        _daemon.Signal("TERM");
        var exit = await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _earlierLogs.Add(_daemon.Output);
        await _daemon.DisposeAsync();
        _daemon = null;
        if (exit != 0)
        {
            throw new InvalidOperationException($"cluster-leader exited {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(killed)"} on SIGTERM:\n{Log}");
        }
    }

    // A gRPC channel to the leader as a client without a certificate sees it: the leader's
    // certificate pinned by the CA fingerprint its tokens carry (grpcurl would pin DATA_DIR/ca.crt).
    public GrpcChannel Channel()
    {
        Assert.True(ClusterToken.TryParse(JoinToken, out var token, out var error), error);
        var validate = PinnedCa.Validator(token.CaFingerprint);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => certificate is X509Certificate2 leaf && validate(leaf, chain, errors);
        return GrpcChannel.ForAddress($"https://{Address}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public Task<CtlResult> CtlAsync(params string[] args) => CtlWithStdinAsync(null, args);

    // clusterctl as a process; stdout apart from stderr, so `-o json` output parses as it is.
    public async Task<CtlResult> CtlWithStdinAsync(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(Daemon.PathOf("Cli", "clusterctl"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CLUSTER_LEADER"] = Address;
        info.Environment["CLUSTER_TOKEN"] = AdminToken;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin ?? "");
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"clusterctl {string.Join(' ', args)} did not finish within 2 minutes");
        }

        return new CtlResult(process.ExitCode, await stdout, await stderr);
    }

    // A command that must succeed; its stdout.
    public async Task<string> CtlOkAsync(string? stdin, params string[] args)
    {
        var result = await CtlWithStdinAsync(stdin, args);
        Assert.True(result.ExitCode == 0, $"clusterctl {string.Join(' ', args)}: {result}\n--- leader:\n{Log}");
        return result.Stdout;
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
