using System.Diagnostics;

namespace Cluster.Bench.Propagation;

// A process this benchmark started (the leader, the bare server). Its output goes to a log file;
// callers can wait for a line. Disposing kills it by its own pid (never by name) and waits.
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _sync = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _watchers = [];
    private readonly Queue<string> _tail = new();

    private ChildProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(logPath) { AutoFlush = false };
    }

    public int Pid => _process.Id;

    public string Name { get; private set; } = "";

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string logPath, IEnumerable<string> environment, bool stdin = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Under systemd the leader would log in journald format; here it must not think it is.
        info.Environment.Remove("INVOCATION_ID");
        info.Environment.Remove("NOTIFY_SOCKET");
        foreach (var variable in environment)
        {
            var (key, value) = (variable[..variable.IndexOf('=', StringComparison.Ordinal)], variable[(variable.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, logPath) { Name = name };
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child.OnExit();
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {fileName}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Register(child);
        return child;
    }

    // Waits for the first line (from now on) that matches.
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            if (_process.HasExited)
            {
                done.TrySetException(Exited());
            }
            else
            {
                _watchers.Add((match, done));
            }
        }

        return done.Task.WaitAsync(timeout, cancellationToken);
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public string Tail()
    {
        lock (_sync)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Unregister(this);
        lock (_sync)
        {
            _log.Flush();
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>>? matched = null;
        lock (_sync)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }

            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                if (_watchers[i].Match(line))
                {
                    (matched ??= []).Add(_watchers[i].Done);
                    _watchers.RemoveAt(i);
                }
            }
        }

        matched?.ForEach(m => m.TrySetResult(line));
    }

    private void OnExit()
    {
        List<TaskCompletionSource<string>> waiting;
        lock (_sync)
        {
            waiting = [.. _watchers.Select(w => w.Done)];
            _watchers.Clear();
        }

        waiting.ForEach(w => w.TrySetException(Exited()));
    }

    private InvalidOperationException Exited() =>
        new($"{Name} (pid {_process.Id}) exited with code {(_process.HasExited ? _process.ExitCode : -1)}; log {LogPath}");

    // Every child still alive, so a Ctrl+C or SIGTERM of the benchmark kills them too.
    private static readonly Lock AllSync = new();
    private static readonly List<ChildProcess> All = [];

    private static void Register(ChildProcess child)
    {
        lock (AllSync)
        {
            All.Add(child);
        }
    }

    private static void Unregister(ChildProcess child)
    {
        lock (AllSync)
        {
            All.Remove(child);
        }
    }

    public static void KillAll()
    {
        ChildProcess[] alive;
        lock (AllSync)
        {
            alive = [.. All];
        }

        foreach (var child in alive)
        {
            child.Dispose();
        }
    }
}
