using System.Buffers;
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

        var stdout = new CappedReader(process.StandardOutput.BaseStream, request.MaxOutputBytes, keepTail: false);
        var stderr = new CappedReader(process.StandardError.BaseStream, request.MaxOutputBytes, keepTail: true);
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
    // Over the cap, a head-only reader keeps the first `cap` bytes (stdout: callers parse it
    // from its start); a head-and-tail reader keeps the first quarter and the last three
    // quarters (stderr: callers report its last lines, where git, ssh and helpers put the error,
    // after however much progress came before), cut to whole lines (or, without line ends,
    // whole words) around one marker line that says how many bytes were left out.
    private sealed class CappedReader
    {
        // What a word (and so a token, a key or a password) is made of, as far as a cut goes: no
        // cut lands between two of these. Bytes of a multi-byte UTF-8 character are among them.
        private static readonly SearchValues<byte> WordBytes = SearchValues.Create(
            [.. "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~%:@!#$&*?"u8, .. Enumerable.Range(0x80, 0x80).Select(b => (byte)b)]);

        private readonly Lock _lock = new();
        private readonly int _headCap;
        private readonly int _tailCap;
        private byte[] _head = [];
        private byte[] _tail = [];
        private int _headLength;
        private int _tailStart;
        private int _tailLength;
        private long _dropped;

        public CappedReader(Stream stream, int cap, bool keepTail)
        {
            cap = Math.Max(cap, 0);
            _headCap = keepTail ? cap / 4 : cap;
            _tailCap = cap - _headCap;
            Completion = Task.Run(() => ReadAsync(stream));
        }

        public Task Completion { get; }

        public bool Truncated { get; private set; }

        public string Text()
        {
            lock (_lock)
            {
                if (!Truncated)
                {
                    // One decode: a character may straddle the head and the tail.
                    return Encoding.UTF8.GetString([.. _head.AsSpan(0, _headLength), .. TailBytes()]);
                }

                var head = _head.AsSpan(0, _headLength);
                var tail = TailBytes().AsSpan();
                var left = _dropped;
                if (_tailCap > 0)
                {
                    // Whole lines either side of the marker, else whole words: callers redact
                    // stderr afterwards by replacing the secrets they know, which a piece of one
                    // cut at the marker would escape.
                    var headEnd = head.LastIndexOf((byte)'\n') is var lineEnd and >= 0 ? lineEnd : head.LastIndexOfAnyExcept(WordBytes);
                    left += head.Length - (headEnd + 1);
                    head = head[..(headEnd + 1)];

                    var tailStart = tail.IndexOf((byte)'\n') is var lineStart and >= 0 && lineStart < tail.Length - 1 ? lineStart : tail.IndexOfAnyExcept(WordBytes);
                    tailStart = tailStart < 0 ? tail.Length : tailStart + 1;
                    left += tailStart;
                    tail = tail[tailStart..];

                    var newline = head.Length == 0 || head[^1] == (byte)'\n' ? "" : "\n";
                    return $"{Encoding.UTF8.GetString(head)}{newline}[... {left} bytes of this output left out ...]\n{Encoding.UTF8.GetString(tail)}";
                }

                return Encoding.UTF8.GetString(head);
            }
        }

        // The kept tail in order (a ring once full, when _tail.Length is _tailCap).
        private byte[] TailBytes()
        {
            var bytes = new byte[_tailLength];
            var first = _tailLength - _tailStart;
            Buffer.BlockCopy(_tail, _tailStart, bytes, 0, first);
            Buffer.BlockCopy(_tail, 0, bytes, first, _tailLength - first);
            return bytes;
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
                        Keep(buffer.AsSpan(0, read));
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The process object was disposed while a held pipe was still being read.
            }
        }

        private void Keep(ReadOnlySpan<byte> data)
        {
            var toHead = Math.Min(_headCap - _headLength, data.Length);
            if (toHead > 0)
            {
                // Grown as needed: most runs print little.
                _head = Grown(_head, _headLength + toHead, _headCap);
                data[..toHead].CopyTo(_head.AsSpan(_headLength));
                _headLength += toHead;
                data = data[toHead..];
            }

            if (data.IsEmpty)
            {
                return;
            }

            if (_tailCap == 0)
            {
                Truncated = true;
                _dropped += data.Length;
                return;
            }

            // Filling: appended in order (_tailStart stays 0) until the tail holds _tailCap.
            var toFill = Math.Min(_tailCap - _tailLength, data.Length);
            if (toFill > 0)
            {
                _tail = Grown(_tail, _tailLength + toFill, _tailCap);
                data[..toFill].CopyTo(_tail.AsSpan(_tailLength));
                _tailLength += toFill;
                data = data[toFill..];
            }

            // Full: a ring; each new byte replaces the oldest.
            if (data.Length > _tailCap)
            {
                _dropped += data.Length - _tailCap;
                data = data[^_tailCap..];
            }

            while (!data.IsEmpty)
            {
                Truncated = true;
                var n = Math.Min(_tailCap - _tailStart, data.Length);
                data[..n].CopyTo(_tail.AsSpan(_tailStart));
                _dropped += n;
                _tailStart = (_tailStart + n) % _tailCap;
                data = data[n..];
            }
        }

        private static byte[] Grown(byte[] buffer, int needed, int cap)
        {
            if (needed <= buffer.Length)
            {
                return buffer;
            }

            var grown = new byte[Math.Min(cap, Math.Max(needed, buffer.Length * 2))];
            Buffer.BlockCopy(buffer, 0, grown, 0, buffer.Length);
            return grown;
        }
    }
}
