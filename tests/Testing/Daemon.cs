using System.Diagnostics;
using System.Text;

namespace Cluster.Testing;

// One of the product's binaries, started from its build output exactly as install.sh will run it.
public sealed class Daemon : IAsyncDisposable
{
    private static readonly object RecordLock = new();
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Daemon(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int Pid => _process.Id;

    // The variable ./test.sh sets to the clusterctl it published ahead of time (NativeAOT), once
    // that publish succeeded: the binary users get, and it starts in ~20 ms of CPU where the JIT
    // build takes ~0.5 s, which adds up over the tests' clusterctl runs.
    public const string NativeClusterCtlVariable = "CLUSTER_TEST_CLUSTERCTL";

    // The same for cluster-leader (test.sh publishes it natively too): the lab suite then runs
    // the leader users get, whose LiteDB mapping only works for what Storage/LiteDbTrimming.xml
    // keeps, so a record the native leader cannot map fails a test.
    public const string NativeLeaderVariable = "CLUSTER_TEST_LEADER";

    // The binary's build output (bin/<configuration>/net10.0) in this checkout; for clusterctl
    // and cluster-leader the native one from CLUSTER_TEST_CLUSTERCTL / CLUSTER_TEST_LEADER
    // instead, when set (it must then exist).
    public static string PathOf(string project, string binary)
    {
        var nativeVariable = binary switch
        {
            "clusterctl" => NativeClusterCtlVariable,
            "cluster-leader" => NativeLeaderVariable,
            _ => null,
        };
        if (nativeVariable is not null && Environment.GetEnvironmentVariable(nativeVariable) is { Length: > 0 } native)
        {
            // Set but missing is a broken run, not a reason to test the ordinary build instead.
            return File.Exists(native) ? native : throw new FileNotFoundException($"{nativeVariable} names {native}, which does not exist", native);
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Cluster.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "src", project, "bin", configuration, "net10.0", binary);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{binary} not built", path);
    }

    public static Daemon Start(string project, string binary, params string[] args) => StartCommand(PathOf(project, binary), args);

    // Runs the binary inside a lab node's network namespace, as if on that node. nsenter execs
    // the binary, so the pid (and its signals) are the daemon's own.
    public static Daemon StartInNetns(string netns, string project, string binary, params string[] args) =>
        StartCommand("nsenter", [$"--net=/var/run/netns/{netns}", "--", PathOf(project, binary), .. args]);

    // With extra environment variables (e.g. a PATH holding test credential helpers).
    public static Daemon StartWithEnvironment(string project, string binary, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        StartCommand(PathOf(project, binary), environment, args);

    public static Daemon StartCommand(string file, params string[] args) => StartCommand(file, null, args);

    private static Daemon StartCommand(string file, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("NOTIFY_SOCKET");
        info.Environment.Remove("INVOCATION_ID");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        Record(process.Id);
        return new Daemon(process);
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string project, string binary, params string[] args)
    {
        await using var daemon = Start(project, binary, args);
        var exit = await daemon.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (exit ?? throw new TimeoutException($"{binary} did not exit:\n{daemon.Output}"), daemon.Output);
    }

    // Polls the captured output for a line, bounded by a deadline.
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            if (_process.HasExited)
            {
                _process.WaitForExit();
                return Output.Contains(text, StringComparison.Ordinal);
            }

            await Task.Delay(100);
        }

        return false;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int?> WaitForExitAsync(TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit();
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    // A test host killed on a timeout cannot stop what it started. test.sh names a file in
    // CLUSTER_TEST_PIDS; every daemon is written there as "pid start-time" (field 22 of
    // /proc/PID/stat), and test.sh ends, by pid, each one still alive with that same start time,
    // so nothing of a crashed run keeps a port, a lock or a node's state.
    private static void Record(int pid)
    {
        var file = Environment.GetEnvironmentVariable("CLUSTER_TEST_PIDS");
        if (string.IsNullOrEmpty(file))
        {
            return;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var start = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
            lock (RecordLock)
            {
                File.AppendAllText(file, $"{pid} {start}\n");
            }
        }
        catch (IOException)
        {
            // exited already: nothing to end later
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
