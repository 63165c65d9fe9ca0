using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Cluster.Core.Processes;

// Runs a program to completion with the guarantees every caller needs (ssh-keyscan, credential
// helpers, git, ssh-add): an argument list and no shell; stdin written then closed; stdout and
// stderr read concurrently, each capped; a deadline (from the caller's TimeProvider, so tests
// control it) past which the program and its whole process tree are killed; and output reads
// that end at most a short grace after the program, even when something it left behind outside
// its tree (a daemon) still holds the pipes. The caller's cancellation kills the tree the same
// way and throws OperationCanceledException.
public static class ChildProcess
{
    // After the program exited (or was killed), how long the output readers get to drain what
    // is left in the pipes before the run returns with what they read. Real time, not the
    // caller's clock: it bounds a wait on pipes, and a test's frozen clock must not hang it.
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    // ChildProcessStartException when the program cannot be started.
    public static async Task<ChildProcessResult> RunAsync(ChildProcessRequest request, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        time ??= TimeProvider.System;
        var info = new ProcessStartInfo(request.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (request.WorkingDirectory is not null)
        {
            info.WorkingDirectory = request.WorkingDirectory;
        }

        foreach (var argument in request.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (!request.InheritEnvironment)
        {
            info.Environment.Clear();
        }

        foreach (var name in request.RemoveEnvironment)
        {
            info.Environment.Remove(name);
        }

        foreach (var (key, value) in request.Environment)
        {
            info.Environment[key] = value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            throw new ChildProcessStartException($"cannot start {request.FileName}: {e.Message}", e) { FileName = request.FileName };
        }

        var stdout = new CappedReader(process.StandardOutput.BaseStream, request.MaxOutputBytes);
        var stderr = new CappedReader(process.StandardError.BaseStream, request.MaxOutputBytes);
        using var deadline = new CancellationTokenSource(request.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var exited = false;
        try
        {
            await WriteInputAsync(process, request.StandardInput, linked.Token);
            await process.WaitForExitAsync(linked.Token);
            exited = true;
        }
        catch (OperationCanceledException)
        {
            if (!exited)
            {
                KillTree(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        // Once the program is gone the pipes close, unless something it left behind (a daemon
        // outside its tree) holds them: what that writes is not the program's answer, so after a
        // short grace what was read so far is.
        var drained = Task.WhenAll(stdout.Completion, stderr.Completion);
        if (!drained.IsCompleted)
        {
            await Task.WhenAny(drained, Task.Delay(DrainGrace, CancellationToken.None));
        }

        var timedOut = !exited;
        return new ChildProcessResult(timedOut ? -1 : process.ExitCode, stdout.Text(), stderr.Text(), timedOut, stdout.Truncated || stderr.Truncated);
    }

    private static async Task WriteInputAsync(Process process, string? input, CancellationToken cancellationToken)
    {
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited (or closed stdin) without reading it all; its exit code and
            // output say why.
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (Win32Exception)
        {
            // Exited meanwhile, or a child we may not signal; the deadline still holds for us.
        }
    }

    // Reads a stream to its end, keeping at most `cap` bytes. Text() may be called while it
    // still runs (a pipe held open by an escaped grandchild) and gives what was read so far.
    private sealed class CappedReader
    {
        private readonly Lock _lock = new();
        private readonly int _cap;
        private byte[] _kept = [];
        private int _length;

        public CappedReader(Stream stream, int cap)
        {
            _cap = cap;
            Completion = Task.Run(() => ReadAsync(stream));
        }

        public Task Completion { get; }

        public bool Truncated { get; private set; }

        public string Text()
        {
            lock (_lock)
            {
                return Encoding.UTF8.GetString(_kept, 0, _length);
            }
        }

        private async Task ReadAsync(Stream stream)
        {
            var buffer = new byte[8192];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer)) > 0)
                {
                    lock (_lock)
                    {
                        var keep = Math.Min(_cap - _length, read);
                        Truncated |= keep < read;
                        if (keep > 0)
                        {
                            if (_length + keep > _kept.Length)
                            {
                                Array.Resize(ref _kept, Math.Min(_cap, Math.Max(_length + keep, _kept.Length * 2)));
                            }

                            Buffer.BlockCopy(buffer, 0, _kept, _length, keep);
                            _length += keep;
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The process object was disposed while a held pipe was still being read.
            }
        }
    }
}
