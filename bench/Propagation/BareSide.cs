using System.Diagnostics;
using System.Globalization;

namespace Cluster.Bench.Propagation;

// The baseline: the bare server (this program with --bare-server, a child process) and the same
// N agents (same client certificates, same code) connected to it; it broadcasts the leader's
// increment on command.
internal sealed class BareSide : IAsyncDisposable
{
    private readonly ChildProcess _bare;
    private readonly BenchOptions _options;
    private Fleet? _fleet;
    private ulong _revision = 1;

    private BareSide(ChildProcess bare, PhaseResult result, BenchOptions options)
    {
        _bare = bare;
        Result = result;
        _options = options;
    }

    public PhaseResult Result { get; }

    public static async Task<BareSide> StartAsync(IReadOnlyList<AgentIdentity> identities, byte[] increment, string tempRoot, BenchOptions options, CancellationToken cancellationToken)
    {
        var n = identities.Count;
        var port = Ports.Free();
        var (file, prefix) = Self();
        var bare = ChildProcess.Start($"bare server (N={n})", file,
            [.. prefix, "--bare-server", port.ToString(CultureInfo.InvariantCulture), "--heartbeat-period", options.HeartbeatSeconds.ToString(CultureInfo.InvariantCulture)],
            Path.Combine(tempRoot, $"bare-n{n}.log"), [.. options.ServerEnvironment, .. options.BareEnvironment], stdin: true);
        var side = new BareSide(bare, new PhaseResult("bare", n) { MessageBytes = increment.Length }, options);
        try
        {
            var ready = await bare.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            var fields = ready.Split(' ');
            side.Result.Gc = fields[2]["gc=".Length..];
            var templateOk = bare.WaitForLineAsync(l => l == "template ok", TimeSpan.FromSeconds(10), cancellationToken);
            await bare.SendLineAsync("template " + Convert.ToBase64String(increment));
            await templateOk;
            await Task.Delay(500, cancellationToken);
            side.Result.RssStartMb = ProcessStats.Memory(bare.Pid).Rss;
            (side._fleet, side.Result.ConnectSeconds) = await Fleet.ConnectAsync(identities, $"127.0.0.1:{port}", fields[1], null, 1, options, cancellationToken);
            side._fleet.AckIncrements(options.Acks);
            return side;
        }
        catch
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine($"--- last lines of {bare.Name}:{Environment.NewLine}{bare.Tail()}");
            }

            await side.DisposeAsync();
            throw;
        }
    }

    public async Task<RunSample> BroadcastAsync(CancellationToken cancellationToken)
    {
        var revision = ++_revision;
        var round = _fleet!.Tracker.Begin(revision, Result.Agents);
        var acked = _options.Acks
            ? _bare.WaitForLineAsync(l => l.StartsWith($"acked {revision} ", StringComparison.Ordinal), _options.RoundTimeout, cancellationToken)
            : Task.FromResult("");
        var cpu = ProcessStats.CpuSeconds(_bare.Pid);
        var wall = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        await _bare.SendLineAsync($"broadcast {revision}");
        var triggerMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        await _fleet.WaitAsync(round, _options.RoundTimeout, cancellationToken);
        var (first, last) = round.Span(start);
        // The server's own clock when it had read all N acks (the same clock as the leader's log).
        var line = await acked;
        var serverDone = line.Length > 0
            ? (DateTime.Parse(line.Split(' ')[3], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) - wall).TotalMilliseconds
            : double.NaN;
        var serverCpu = (ProcessStats.CpuSeconds(_bare.Pid) - cpu) * 1000;
        return new RunSample(revision, first, last, triggerMs, serverDone, serverCpu);
    }

    public void MeasureIdle()
    {
        Result.RssIdleMb = ProcessStats.Memory(_bare.Pid).Rss;
        Result.GcHeapIdleMb = ProcessStats.GcHeapRss(_bare.Pid);
    }

    public void Finish()
    {
        Result.MeasureAfter(_bare.Pid);
        Result.AddAgentNotes(_fleet!);
    }

    public async ValueTask DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        _bare.Dispose();
    }

    // How to start this same program again: the apphost, or `dotnet propagation-bench.dll`.
    private static (string File, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [typeof(BareSide).Assembly.Location])
            : (process, []);
    }
}
