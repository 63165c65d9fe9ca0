using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Cluster.Bench.Propagation;

// propagation-bench: see BenchOptions.Usage and the "Benchmarks" section of the README.
if (args.Length > 0 && args[0] == "--bare-server")
{
    var heartbeat = args.Length > 3 && args[2] == "--heartbeat-period" ? double.Parse(args[3], CultureInfo.InvariantCulture) : 5;
    return await BareServer.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), heartbeat);
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"propagation-bench: {e.Message}{Environment.NewLine}{BenchOptions.Usage}");
    return 2;
}

var leaderPath = options.LeaderPath ?? Path.Combine(Report.RepositoryRoot(), "src", "Leader", "bin", "Release", "net10.0", "cluster-leader");
if (!File.Exists(leaderPath))
{
    Console.Error.WriteLine($"propagation-bench: {leaderPath} not found; build it first: dotnet build -c Release src/Leader");
    return 2;
}

// Ctrl+C, SIGTERM, SIGHUP: stop measuring, kill the leader and the bare server (by their pids),
// delete the temp dir. A second signal ends the process at once; the children die with it.
using var cancel = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    if (!cancel.IsCancellationRequested)
    {
        context.Cancel = true;
        cancel.Cancel();
    }
    else
    {
        ChildProcess.KillAll();
    }
}

using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();

ThreadPool.GetMinThreads(out var workers, out var io);
ThreadPool.SetMinThreads(Math.Max(workers, options.MinThreads), Math.Max(io, options.MinThreads));
ThreadPool.GetMinThreads(out workers, out io);

var largest = options.Sizes.Max();
// This process holds both fleets at once: 2N sockets, plus the join and admin channels.
var fileLimit = ProcessStats.EnsureFileLimit((2 * largest) + 256);
Console.WriteLine($"machine: {Report.Machine()}");
Console.WriteLine($"agents' process: {(GCSettings.IsServerGC ? "Server" : "Workstation")} GC, thread pool min {workers} workers / {io} I/O; {fileLimit}");
Console.WriteLine($"leader: {leaderPath}");
if (!options.Acks)
{
    Console.WriteLine("DIAGNOSTIC --no-acks: agents do not ack increments; \"all-acked\" below is the last RECEIPT, and no ack is stored");
}

if (options.ServerEnvironment.Count + options.LeaderEnvironment.Count + options.BareEnvironment.Count > 0)
{
    Console.WriteLine($"environment: both servers [{string.Join(' ', options.ServerEnvironment)}], leader only [{string.Join(' ', options.LeaderEnvironment)}], bare only [{string.Join(' ', options.BareEnvironment)}]");
}
Console.WriteLine($"load average at start: {Report.LoadAverage()} (other work on the machine skews every figure)");
Console.WriteLine();

var temp = Directory.CreateTempSubdirectory("propagation-bench-");
var results = new List<(PhaseResult Leader, PhaseResult Bare)>();
try
{
    foreach (var n in options.Sizes)
    {
        Console.WriteLine($"== N = {n}");
        results.Add(await Measure.RunAsync(n, leaderPath, temp.FullName, options, cancel.Token));

        Console.WriteLine();
        GC.Collect();
    }
}
catch (Exception) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("propagation-bench: interrupted");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"propagation-bench: failed: {e.Message}");
    Console.Error.WriteLine($"logs: {temp.FullName}{(options.KeepTemp ? "" : " (deleted; rerun with --keep-temp to keep them)")}");
    return 1;
}
finally
{
    ChildProcess.KillAll();
    if (!options.KeepTemp)
    {
        try
        {
            temp.Delete(recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"could not delete {temp.FullName}: {e.Message}");
        }
    }
    else
    {
        Console.WriteLine($"kept {temp.FullName}");
    }
}

Console.WriteLine($"load average at end: {Report.LoadAverage()}");
Console.WriteLine();
Report.Table(results, options);
return 0;

namespace Cluster.Bench.Propagation
{
    internal static class Report
    {
        private const double MaxTimeRatio = 3;
        private const double MaxRssRatio = 1.25;

        public static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
                {
                    return dir.FullName;
                }
            }

            return Directory.GetCurrentDirectory();
        }

        public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

        public static string Machine()
        {
            var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
            var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return string.Create(CultureInfo.InvariantCulture,
                $"{Environment.ProcessorCount} cores ({model}), {long.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024.0:0.0} GiB RAM, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        }

        public static void Phase(PhaseResult r)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"-- {r.Server} ({r.Gc} GC): {(r.JoinSeconds > 0 ? $"join {r.JoinSeconds:0.0} s, " : "")}sessions up in {r.ConnectSeconds:0.0} s, increment {r.MessageBytes} bytes, {r.ServerThreads} threads"));
            Console.WriteLine("   run  rev  first-ack  all-acked   trigger  server-done  server-cpu   (ms from the trigger)");
            foreach (var (s, warm) in r.Warmups.Select(s => (s, true)).Concat(r.Runs.Select(s => (s, false))))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"   {(warm ? "warm" : "    ")} {s.Revision,4} {s.FirstAckMs,9:0.0} {s.AllAckedMs,10:0.0} {s.TriggerMs,9:0.0} {s.ServerDoneMs,12:0} {s.ServerCpuMs,11:0}"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   all-acked median {r.Median:0.0} ms, p90 {r.P90:0.0} ms; RSS start {r.RssStartMb:0} MB, idle with N {r.RssIdleMb:0} MB, after broadcasts {r.RssAfterMb:0} MB (peak {r.PeakRssMb:0} MB)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   after broadcasts: {r.AnonAfterMb:0} MB anonymous (GC heap {Mb(r.GcHeapAfterMb)}, idle {Mb(r.GcHeapIdleMb)}), {r.FileAfterMb:0} MB mapped files, {r.ShmemAfterMb:0} MB shared (JIT code double mapping)"));
            foreach (var note in r.Notes)
            {
                Console.WriteLine($"   NOTE: {note}");
            }
        }

        public static void Table(IReadOnlyList<(PhaseResult Leader, PhaseResult Bare)> results, BenchOptions options)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Time from the trigger to the last of N acks (agents' clock), median and p90 of {options.Runs} runs after {options.Warmup} warm-up; RSS of the server process (VmRSS), idle with N sessions / after the broadcasts; CPU = server CPU time per broadcast."));
            Console.WriteLine();
            Console.WriteLine("| N | leader median | leader p90 | bare median | bare p90 | time ratio | leader RSS idle / after | bare RSS idle / after | RSS ratio idle / after | CPU per broadcast leader / bare |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (leader, bare) in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {leader.Agents} | {leader.Median:0.0} ms | {leader.P90:0.0} ms | {bare.Median:0.0} ms | {bare.P90:0.0} ms | {leader.Median / bare.Median:0.00}x | {leader.RssIdleMb:0} / {leader.RssAfterMb:0} MB | {bare.RssIdleMb:0} / {bare.RssAfterMb:0} MB | {leader.RssIdleMb / bare.RssIdleMb:0.00}x / {leader.RssAfterMb / bare.RssAfterMb:0.00}x | {Cpu(leader):0} / {Cpu(bare):0} ms |"));
            }

            Console.WriteLine();
            var target = results.FirstOrDefault(r => r.Leader.Agents == 1000);
            if (target.Leader is null)
            {
                Console.WriteLine("targets (at N = 1000): not measured in this run (add 1000 to --n)");
                return;
            }

            var time = target.Leader.Median / target.Bare.Median;
            var rss = Math.Max(target.Leader.RssIdleMb / target.Bare.RssIdleMb, target.Leader.RssAfterMb / target.Bare.RssAfterMb);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"target at N = 1000, time to all-acked <= {MaxTimeRatio}x bare: {time:0.00}x -> {(time <= MaxTimeRatio ? "HOLDS" : "MISSED")}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"target at N = 1000, leader RSS <= {MaxRssRatio}x bare (idle and after): {rss:0.00}x -> {(rss <= MaxRssRatio ? "HOLDS" : "MISSED")}"));
        }

        private static string Mb(double value) => double.IsNaN(value) ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{value:0} MB");

        private static double Cpu(PhaseResult r) => r.Runs.Count == 0 ? double.NaN : r.Runs.Average(s => s.ServerCpuMs);
    }
}
