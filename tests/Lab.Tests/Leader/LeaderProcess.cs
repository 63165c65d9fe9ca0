using System.Net;
using System.Net.Sockets;
using Cluster.Cli;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Leader;

// A real cluster-leader process on loopback with its own data dir, working through the lab's
// manager engine, and clusterctl run in-process against it. Every CLI output and the leader's
// whole log are kept, so tests can scan them for secrets.
public sealed class LeaderProcess : IAsyncDisposable
{
    private readonly List<string> _cliOutputs = [];
    private readonly List<string> _previousLogs = [];
    private readonly string[] _extraArgs;
    private Daemon? _daemon;

    private LeaderProcess(string dataDir, string ip, int port, Uri dockerHost, string[] extraArgs)
    {
        Environment = new Dictionary<string, string>();
        Ip = ip;
        _extraArgs = extraArgs;
        DataDir = dataDir;
        Port = port;
        DockerHost = dockerHost;
    }

    public string DataDir { get; }

    // Extra environment for the leader process, kept across restarts (e.g. a PATH with test
    // credential helpers).
    public IReadOnlyDictionary<string, string> Environment { get; private init; }

    public int Port { get; }

    public Uri DockerHost { get; }

    public string Ip { get; }

    public string Address => $"{Ip}:{Port}";

    public string JoinToken => File.ReadAllText(Path.Combine(DataDir, "join.token")).Trim();

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    // Everything the leader printed, across restarts.
    public string Log => string.Join("\n", _previousLogs) + "\n" + (_daemon?.Output ?? "");

    public IReadOnlyList<string> CliOutputs
    {
        get
        {
            lock (_cliOutputs)
            {
                return [.. _cliOutputs];
            }
        }
    }

    // ip: where it listens; the lab bridge address (10.77.0.254) makes it reachable from nodes.
    public static Task<LeaderProcess> StartAsync(Uri dockerHost, string ip = "127.0.0.1", params string[] extraArgs) =>
        StartAsync(dockerHost, ip, new Dictionary<string, string>(), extraArgs);

    public static async Task<LeaderProcess> StartAsync(Uri dockerHost, string ip, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var dir = Directory.CreateTempSubdirectory("cluster-leader-test-").FullName;
        var leader = new LeaderProcess(Path.Combine(dir, "data"), ip, FreePort(ip), dockerHost, extraArgs) { Environment = environment };
        await leader.StartAsync();
        return leader;
    }

    public async Task StartAsync()
    {
        _daemon = Daemon.StartWithEnvironment("Leader", "cluster-leader", Environment, ["--data-dir", DataDir, "--listen", Address, "--docker-host", DockerHost.ToString(), .. _extraArgs]);
        if (!await _daemon.WaitForOutputAsync("listening on " + Address, TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException($"cluster-leader did not start:\n{_daemon.Output}");
        }
    }

    public async Task StopAsync()
    {
        if (_daemon is null)
        {
            return;
        }

        _daemon.Signal("TERM");
        var exit = await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _previousLogs.Add(_daemon.Output);
        await _daemon.DisposeAsync();
        _daemon = null;
        if (exit != 0)
        {
            throw new InvalidOperationException($"cluster-leader exited {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(killed)"} on SIGTERM");
        }
    }

    // kill -9: the leader gets no chance to finish anything.
    public async Task KillAsync()
    {
        if (_daemon is null)
        {
            return;
        }

        _daemon.Signal("KILL");
        await _daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _previousLogs.Add(_daemon.Output);
        await _daemon.DisposeAsync();
        _daemon = null;
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    private static readonly TimeSpan CliDeadline = TimeSpan.FromMinutes(5);

    // clusterctl with --leader and --token for this leader; stdin feeds --password-stdin.
    public Task<CliResult> CtlAsync(params string[] args) => CtlWithStdinAsync(null, args);

    public async Task<CliResult> CtlWithStdinAsync(string? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var input = new StringReader(stdin ?? "");
        // A command that never returns fails its test with what it printed, instead of hanging
        // the whole run (CI has a fixed budget). Deployments end well inside this bound.
        int exit;
        try
        {
            exit = await ClusterCtl.RunAsync([.. args, "--leader", Address, "--token", AdminToken], stdout, stderr, input).WaitAsync(CliDeadline);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"clusterctl {string.Join(' ', args)} did not return within {CliDeadline}; it printed:\n{stdout}\n{stderr}");
        }

        var result = new CliResult(exit, stdout.ToString(), stderr.ToString());
        lock (_cliOutputs)
        {
            _cliOutputs.Add(result.Stdout + result.Stderr);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
        }

        try
        {
            Directory.Delete(Path.GetDirectoryName(DataDir)!, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless; never fail a test on cleanup.
        }
    }

    private static int FreePort(string ip)
    {
        using var listener = new TcpListener(IPAddress.Parse(ip), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
