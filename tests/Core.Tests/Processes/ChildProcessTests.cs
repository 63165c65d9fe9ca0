using System.Diagnostics;
using System.Globalization;
using Cluster.Core.Processes;

namespace Cluster.Core.Tests.Processes;

// Real processes (/bin/sh and coreutils), each bounded by a short timeout; every process a test
// starts outside the runner's tree is killed by pid at the end.
public sealed class ChildProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-childprocess-test-").FullName;
    private readonly List<int> _strays = [];

    public void Dispose()
    {
        foreach (var pid in _strays)
        {
            try
            {
                using var stray = Process.GetProcessById(pid);
                stray.Kill();
            }
            catch (ArgumentException)
            {
                // already gone
            }
            catch (InvalidOperationException)
            {
            }
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Run_ExitCodeAndStreams_ReportedApart()
    {
        var result = await ChildProcess.RunAsync(Sh("echo out; echo err >&2; exit 3"));

        Assert.False(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.Output);
        Assert.Equal("err\n", result.Error);
    }

    [Fact]
    public async Task Run_Hangs_KilledAtTheTimeoutWithItsChildren()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        var started = Stopwatch.StartNew();

        var result = await ChildProcess.RunAsync(Sh($"sleep 300 & echo $! > {pidFile}; echo partial; wait", TimeSpan.FromSeconds(1)));

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.Equal("partial\n", result.Output);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.False(await StillRunningAsync(child), "the program's child survived the timeout");
    }

    [Fact]
    public async Task Run_CallerCancels_TreeKilledAndCancellationThrown()
    {
        var pidFile = Path.Combine(_dir, "child.pid");
        using var cancel = new CancellationTokenSource();
        var run = ChildProcess.RunAsync(Sh($"sleep 300 & echo $! > {pidFile}; wait", TimeSpan.FromMinutes(5)), cancellationToken: cancel.Token);
        for (var i = 0; i < 500 && !(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n')); i++)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.False(await StillRunningAsync(child), "the program's child survived the cancellation");
    }

    [Fact]
    public async Task Run_OutputOverCap_KeepsTheCapAndTheProgramIsNotBlocked()
    {
        // 1 MB through a 1000-byte cap: the rest is read and dropped, so the writer never blocks
        // on a full pipe and exits on its own. Stdout keeps its start (callers parse it from the
        // start); stderr its first quarter and its end (callers report its last lines).
        var result = await ChildProcess.RunAsync(Sh("head -c 1000000 /dev/zero | tr '\\0' a; head -c 1000000 /dev/zero | tr '\\0' b >&2; exit 0", TimeSpan.FromSeconds(20)) with { MaxOutputBytes = 1000 });

        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.OutputTruncated);
        Assert.Equal(new string('a', 1000), result.Output);
        // Stderr has no line end or word break to cut at either side of the marker: the pieces
        // either side are left out too (a piece of a word may be a piece of a secret).
        Assert.Equal("[... 1000000 bytes of this output left out ...]\n", result.Error);
    }

    [Fact]
    public async Task Run_ErrorOverCapWithoutLineEnds_NeverKeepsAPieceOfAWord()
    {
        // Callers redact stderr after the run (SecretRedactor, GitFetcher.Scrub) by replacing the
        // whole secrets they know: a token cut in two at the marker would survive as a piece.
        // With no line end to cut at, the cut falls between words (progress lines end in \r).
        const string Token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        var result = await ChildProcess.RunAsync(Sh($"i=0; while [ $i -lt 200 ]; do printf '{Token} \\r' >&2; i=$((i+1)); done; echo 'fatal: the real error' >&2; exit 128", TimeSpan.FromSeconds(20)) with { MaxOutputBytes = 1000 });

        Assert.True(result.OutputTruncated);
        Assert.EndsWith("fatal: the real error\n", result.Error, StringComparison.Ordinal);
        var words = System.Text.RegularExpressions.Regex.Replace(result.Error, @"\[\.\.\. [0-9]+ bytes of this output left out \.\.\.\]", " ")
            .Split([' ', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.All(words, w => Assert.Contains(w, new[] { Token, "fatal:", "the", "real", "error" }));
        Assert.Contains(Token, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ErrorOverCapThenTheRealError_KeepsItsStartAndItsEndAroundAMarker()
    {
        // Callers (git, ssh-add, ssh-keyscan, credential helpers) report a failure from the last
        // lines of stderr: a long progress log before the error must not cut the error off.
        var result = await ChildProcess.RunAsync(Sh("echo 'first line' >&2; i=0; while [ $i -lt 3000 ]; do echo \"remote: progress line $i of a long fetch\" >&2; i=$((i+1)); done; echo 'fatal: the real error' >&2; exit 128", TimeSpan.FromSeconds(20)) with { MaxOutputBytes = 4096 });

        Assert.Equal(128, result.ExitCode);
        Assert.True(result.OutputTruncated);
        Assert.True(result.Error.Length <= 4096 + 100, $"kept {result.Error.Length} chars");
        Assert.StartsWith("first line\n", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("remote: progress line 2999 of a long fetch\nfatal: the real error\n", result.Error, StringComparison.Ordinal);
        Assert.Matches(@"\n\[\.\.\. [0-9]+ bytes of this output left out \.\.\.\]\nremote: progress line [0-9]+ of a long fetch\n", result.Error);
        // Whole lines around the marker: the tail starts at a line's start.
        Assert.All(result.Error.Split('\n').Where(l => l.Length > 0), l => Assert.Matches(@"\A(first line|remote: progress line [0-9]+ of a long fetch|fatal: the real error|\[\.\.\. [0-9]+ bytes of this output left out \.\.\.\])\z", l));
    }

    [Fact]
    public async Task Run_UnderCap_NotTruncated()
    {
        var result = await ChildProcess.RunAsync(Sh("printf 12345", TimeSpan.FromSeconds(20)) with { MaxOutputBytes = 5 });

        Assert.Equal("12345", result.Output);
        Assert.False(result.OutputTruncated);
    }

    [Fact]
    public async Task Run_SecretsByEnvironmentAndStdin_ReachTheProgramButNeverItsArgv()
    {
        const string envSecret = "env-secret-4f1d9c";
        const string stdinSecret = "stdin-secret-7a2b3e";

        // The program prints its own argv (as any local user could read it in /proc) and then
        // what it received.
        var result = await ChildProcess.RunAsync(Sh("tr '\\0' ' ' < /proc/$$/cmdline; echo; read -r line; printf '%s|%s' \"$SECRET\" \"$line\"") with
        {
            Environment = new Dictionary<string, string> { ["SECRET"] = envSecret },
            StandardInput = stdinSecret + "\n",
        });

        Assert.Equal(0, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.DoesNotContain(envSecret, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(stdinSecret, lines[0], StringComparison.Ordinal);
        Assert.Equal($"{envSecret}|{stdinSecret}", lines[1]);
    }

    [Fact]
    public async Task Run_WithoutInheritedEnvironment_GetsOnlyWhatItIsGiven()
    {
        var result = await ChildProcess.RunAsync(new ChildProcessRequest
        {
            FileName = "/usr/bin/env",
            InheritEnvironment = false,
            Environment = new Dictionary<string, string> { ["ONLY"] = "this" },
            Timeout = TimeSpan.FromSeconds(20),
        });

        Assert.Equal("ONLY=this\n", result.Output);
    }

    [Fact]
    public async Task Run_RemoveEnvironment_TakesOutAnInheritedName()
    {
        var result = await ChildProcess.RunAsync(new ChildProcessRequest
        {
            FileName = "/usr/bin/env",
            RemoveEnvironment = ["PATH"],
            Environment = new Dictionary<string, string> { ["ADDED"] = "1" },
            Timeout = TimeSpan.FromSeconds(20),
        });

        Assert.DoesNotContain("\nPATH=", "\n" + result.Output, StringComparison.Ordinal);
        Assert.Contains("ADDED=1\n", result.Output, StringComparison.Ordinal);
        Assert.Contains("HOME=", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ExitsWithoutReadingALargeStdin_ExitCodeNotAnError()
    {
        var result = await ChildProcess.RunAsync(Sh("exit 4") with { StandardInput = new string('x', 1024 * 1024) });

        Assert.False(result.TimedOut);
        Assert.Equal(4, result.ExitCode);
    }

    [Fact]
    public async Task Run_DaemonOutsideTheTreeHoldsThePipe_ReturnsSoonAfterTheProgramExits()
    {
        // The subshell starts sleep and exits at once: sleep is reparented (not in the tree) and
        // keeps stdout open for 300 s. The program's answer is complete when it exits.
        var pidFile = Path.Combine(_dir, "daemon.pid");
        var started = Stopwatch.StartNew();

        var result = await ChildProcess.RunAsync(Sh($"(sleep 300 & echo $! > {pidFile}); echo done", TimeSpan.FromMinutes(5)));

        _strays.Add(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("done\n", result.Output);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Run_ProgramMissing_StartExceptionNamesItOnly()
    {
        var missing = Path.Combine(_dir, "no-such-program");

        var e = await Assert.ThrowsAsync<ChildProcessStartException>(() => ChildProcess.RunAsync(new ChildProcessRequest
        {
            FileName = missing,
            Arguments = ["argument-not-to-be-shown"],
            Timeout = TimeSpan.FromSeconds(5),
        }));

        Assert.Equal(missing, e.FileName);
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("argument-not-to-be-shown", e.Message, StringComparison.Ordinal);
    }

    private static ChildProcessRequest Sh(string script, TimeSpan? timeout = null) => new()
    {
        FileName = "/bin/sh",
        Arguments = ["-c", script],
        Timeout = timeout ?? TimeSpan.FromSeconds(20),
    };

    // SIGKILL is delivered asynchronously: a killed grandchild may still show as running (R/S)
    // for a moment after the run returns; one that is still running 5 s later survived.
    private static async Task<bool> StillRunningAsync(int pid)
    {
        for (var i = 0; i < 100 && IsRunning(pid); i++)
        {
            await Task.Delay(50);
        }

        return IsRunning(pid);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            // A zombie (state Z) has exited; only its parent's bookkeeping remains.
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
