using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Bench.Propagation;

// The real thing: a cluster-leader process with a fresh data dir, N agents that joined and hold
// sessions, and credential updates through the admin API (UpdateRegistry, no_verify).
internal sealed class LeaderSide : IAsyncDisposable
{
    private const string Registry = "bench";

    private readonly ChildProcess _leader;
    private readonly BenchOptions _options;
    private readonly Metadata _admin;
    private GrpcChannel? _adminChannel;
    private X509Certificate2? _ca;
    private Fleet? _fleet;
    private ulong _revision;

    private LeaderSide(ChildProcess leader, PhaseResult result, BenchOptions options, Metadata admin)
    {
        _leader = leader;
        Result = result;
        _options = options;
        _admin = admin;
    }

    public PhaseResult Result { get; }

    public List<AgentIdentity> Identities { get; } = [];

    // The increment as the leader sent it (the bare server broadcasts the same bytes).
    public byte[] Increment => (_fleet!.Agents[0].LastIncrement ?? throw new InvalidOperationException("agent 0 received no incremental set")).ToByteArray();

    public static async Task<LeaderSide> StartAsync(int n, string leaderPath, string tempRoot, BenchOptions options, CancellationToken cancellationToken)
    {
        var environment = new List<string>([.. options.ServerEnvironment, .. options.LeaderEnvironment]);
        var result = new PhaseResult("leader", n) { Gc = LeaderGc(leaderPath, environment) };
        var dataDir = Path.Combine(tempRoot, $"leader-n{n}");
        var address = $"127.0.0.1:{Ports.Free()}";
        var leader = ChildProcess.Start($"cluster-leader (N={n})", leaderPath,
            ["--data-dir", dataDir, "--listen", address, "--docker-host", "unix:///nonexistent.sock",
             "--heartbeat-period", options.HeartbeatSeconds.ToString(CultureInfo.InvariantCulture)],
            Path.Combine(tempRoot, $"leader-n{n}.log"), environment);
        LeaderSide? side = null;
        try
        {
            await leader.WaitForLineAsync(l => l.Contains("cluster-leader listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            var joinToken = ReadToken(Path.Combine(dataDir, "join.token"));
            var adminToken = ReadToken(Path.Combine(dataDir, "admin.token"));
            side = new LeaderSide(leader, result, options, new Metadata { { "authorization", "Bearer " + adminToken.Format() } });
            side._ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataDir, "ca.crt")));
            await side.SetUpAsync(n, address, joinToken, adminToken, cancellationToken);
            return side;
        }
        catch
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"--- last lines of {leader.Name}:{Environment.NewLine}{leader.Tail()}");
            }

            if (side is not null)
            {
                await side.DisposeAsync();
            }
            else
            {
                leader.Dispose();
            }

            throw;
        }
    }

    public async Task<RunSample> BroadcastAsync(CancellationToken cancellationToken)
    {
        var revision = ++_revision;
        var n = Result.Agents;
        var round = _fleet!.Tracker.Begin(revision, n);
        // The leader no longer logs each ack (Debug level) nor stores it at once (acks are saved
        // in batches every 5 s), so "when the leader stored the last ack" is not measured.
        var lastAckLine = Task.FromResult("");
        var cpu = ProcessStats.CpuSeconds(_leader.Pid);
        var wall = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var reply = await new Registries.RegistriesClient(_adminChannel).UpdateRegistryAsync(
            new UpdateRegistryRequest { Name = Registry, Password = NewPassword(), NoVerify = true }, _admin, cancellationToken: cancellationToken);
        var triggerMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (reply.Revision != revision)
        {
            throw new InvalidOperationException($"UpdateRegistry answered revision {reply.Revision}, expected {revision}");
        }

        await _fleet.WaitAsync(round, _options.RoundTimeout, cancellationToken);
        var (first, last) = round.Span(start);
        var line = await lastAckLine;
        var serverCpu = (ProcessStats.CpuSeconds(_leader.Pid) - cpu) * 1000;
        var serverDone = LogTime(line) is { } at ? (at - wall).TotalMilliseconds : double.NaN;
        return new RunSample(revision, first, last, triggerMs, serverDone, serverCpu);
    }

    public void MeasureIdle()
    {
        Result.RssIdleMb = ProcessStats.Memory(_leader.Pid).Rss;
        Result.GcHeapIdleMb = ProcessStats.GcHeapRss(_leader.Pid);
    }

    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        Result.MeasureAfter(_leader.Pid);
        var n = Result.Agents;

        // What an admin sees: every node ready at the last revision.
        var nodes = await new Nodes.NodesClient(_adminChannel).ListNodesAsync(new ListNodesRequest(), _admin, cancellationToken: cancellationToken);
        var current = nodes.Nodes.Count(x => x.CredentialRevision == _revision && x.Status == "ready");
        if (current != n && _options.Acks)
        {
            Result.Notes.Add($"ListNodes shows {current} of {n} nodes ready at revision {_revision}");
        }

        Result.AddAgentNotes(_fleet!);
    }

    public async ValueTask DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        _adminChannel?.Dispose();
        _leader.Dispose();
        _ca?.Dispose();
    }

    private async Task SetUpAsync(int n, string address, ClusterToken joinToken, ClusterToken adminToken, CancellationToken cancellationToken)
    {
        if (await StrictPinRejectionAsync(address, adminToken, cancellationToken) is { } rejection)
        {
            Result.Notes.Add($"LEADER TLS: pinned with PinnedCa alone (as clusterctl and cluster-agent pin it) the leader is refused: \"{rejection}\" " +
                "The bench adds DATA_DIR/ca.crt to the chain PinnedCa checks (an older leader sent only its leaf certificate).");
        }
        else
        {
            // PinnedCa alone works (the leader embeds its CA in its certificate): pin exactly as the agent does.
            _ca?.Dispose();
            _ca = null;
        }

        await Task.Delay(500, cancellationToken);
        Result.RssStartMb = ProcessStats.Memory(_leader.Pid).Rss;

        // Join over one shared connection (only the sessions need their own).
        var start = Stopwatch.GetTimestamp();
        using (var joinChannel = Transport.Channel(address, joinToken.CaFingerprint, knownCa: _ca))
        {
            var enrollment = new Enrollment.EnrollmentClient(joinChannel);
            var machinePrefix = "bench-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            var joined = new AgentIdentity[n];
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                    async (i, ct) => joined[i] = await AgentIdentity.JoinAsync(enrollment, joinToken, i, machinePrefix, ct));
            }
            finally
            {
                Identities.AddRange(joined.Where(i => i is not null));
            }
        }

        Result.JoinSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        _adminChannel = Transport.Channel(address, adminToken.CaFingerprint, knownCa: _ca);

        // No credential yet: each session starts with an empty FULL set at revision 0.
        (_fleet, Result.ConnectSeconds) = await Fleet.ConnectAsync(Identities, address, joinToken.CaFingerprint, _ca, 0, _options, cancellationToken);
        var round = _fleet.Tracker.Begin(1, n);
        var added = await new Registries.RegistriesClient(_adminChannel).AddRegistryAsync(new AddRegistryRequest
        {
            Name = Registry,
            Provider = "generic",
            Url = "registry.bench.internal:5000",
            Username = "bench-puller",
            Password = NewPassword(),
            NoVerify = true,
        }, _admin, cancellationToken: cancellationToken);
        await _fleet.WaitAsync(round, _options.RoundTimeout, cancellationToken);
        _revision = added.Revision;
        _fleet.AckIncrements(_options.Acks);
    }

    // One admin call over a channel pinned exactly as clusterctl pins it (PinnedCa, nothing else).
    private static async Task<string?> StrictPinRejectionAsync(string address, ClusterToken adminToken, CancellationToken cancellationToken)
    {
        string? rejection = null;
        using var strict = Transport.Channel(address, adminToken.CaFingerprint, onRejected: reason => rejection = reason);
        try
        {
            await new Registries.RegistriesClient(strict).ListRegistriesAsync(new ListRegistriesRequest(),
                new Metadata { { "authorization", "Bearer " + adminToken.Format() } }, cancellationToken: cancellationToken);
            return null;
        }
        catch (RpcException e)
        {
            return rejection ?? $"{e.StatusCode}: {e.Status.Detail}";
        }
    }

    // The leader logs with a UTC timestamp first: "2025-01-01T00:00:00.000Z info: ...".
    private static DateTime? LogTime(string line) =>
        line.Length > 24 && DateTime.TryParseExact(line[..24], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    // Same length every time, so every increment has the same size.
    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    private static ClusterToken ReadToken(string path) =>
        ClusterToken.TryParse(File.ReadAllText(path), out var token, out var error) ? token : throw new InvalidOperationException($"{path}: {error}");

    private static string LeaderGc(string leaderPath, IReadOnlyList<string> environment)
    {
        var forced = environment.LastOrDefault(v => v.StartsWith("DOTNET_gcServer=", StringComparison.OrdinalIgnoreCase));
        if (forced is not null)
        {
            return forced.EndsWith("=1", StringComparison.Ordinal) ? "server" : "workstation";
        }

        var config = Path.ChangeExtension(leaderPath, null) + ".runtimeconfig.json";
        return !File.Exists(config) ? "?"
            : File.ReadAllText(config).Contains("\"System.GC.Server\": true", StringComparison.Ordinal) ? "server" : "workstation";
    }
}

internal static class Ports
{
    public static int Free()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
