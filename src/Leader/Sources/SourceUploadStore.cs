using System.Text.RegularExpressions;
using Cluster.Core.Builds;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Sources;

// Uploaded folders between their arrival and their deployment's build, in DATA_DIR/uploads
// (0700; files 0600). An upload is written as it arrives ("ID.tar.part"), never past the size
// it declared nor the leader's cap, then checked (exact size, sha256, every entry: ContextTar)
// and only then kept ("ID.tar") as the app's ONE pending upload (a newer one replaces it).
// A deployment claims it (Claim) and deletes it when its build ends; one nobody claims is
// deleted once it expires; the directory is emptied when the leader starts, so nothing
// outlives the deployment it was sent for.
public sealed partial class SourceUploadStore : IDisposable
{
    public const string DirectoryName = "uploads";

    private static readonly UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, SourceUpload> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _inFlight;
    private readonly TimeProvider _time;
    private readonly ILogger<SourceUploadStore> _log;
    private readonly ITimer _sweeper;

    public SourceUploadStore(string directory, SourceUploadOptions options, TimeProvider time, ILogger<SourceUploadStore> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        Directory = directory;
        Options = options;
        _time = time;
        _log = log;
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        var left = Wipe(directory);
        System.IO.Directory.CreateDirectory(directory, PrivateDir);
        File.SetUnixFileMode(directory, PrivateDir);
        if (left > 0)
        {
            Log.Wiped(log, left, directory);
        }

        _sweeper = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public string Directory { get; }

    public SourceUploadOptions Options { get; }

    // The checks that need no data: the app takes uploads, and the declared size and sha256
    // are acceptable. Called again by ReceiveAsync.
    public void CheckHeader(AppRecord app, long bytes, string sha256)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (SourceRules.UploadRefusal(app) is { } refusal)
        {
            throw new OperationException(OperationError.FailedPrecondition, refusal);
        }

        if (bytes <= 0)
        {
            throw new OperationException(OperationError.InvalidArgument, "the upload header must give the tar's exact size in bytes (size_bytes > 0)");
        }

        if (bytes > Options.MaxBytes)
        {
            throw new OperationException(OperationError.ResourceExhausted, TooLarge(ContextStream.Size(bytes)));
        }

        if (!Sha256Pattern().IsMatch(sha256 ?? ""))
        {
            throw new OperationException(OperationError.InvalidArgument, "the upload header must give the tar's sha256 as 64 lowercase hex digits");
        }
    }

    // Receives one upload for `app` from `chunks` (each at most SourceUploadOptions.ChunkBytes)
    // and keeps it as the app's pending upload. Nothing is kept when any check fails or the
    // caller goes away.
    public async Task<SourceUpload> ReceiveAsync(AppRecord app, string name, long bytes, string sha256, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(chunks);
        CheckHeader(app, bytes, sha256);
        if (!await _inFlight.WaitAsync(0, cancellationToken))
        {
            throw new OperationException(OperationError.ResourceExhausted, $"{Options.MaxInFlight} uploads are arriving at the leader already; try again in a moment");
        }

        var id = "u" + Guid.NewGuid().ToString("N")[..15];
        var part = Path.Combine(Directory, id + ".tar.part");
        var final = Path.Combine(Directory, id + ".tar");
        try
        {
            await WriteAsync(id, app.Name, part, bytes, sha256, chunks, cancellationToken);
            int entries;
            await using (var tar = File.OpenRead(part))
            {
                try
                {
                    entries = ContextTar.Check(tar, string.IsNullOrWhiteSpace(app.Dockerfile) ? "Dockerfile" : app.Dockerfile);
                }
                catch (ContextException e)
                {
                    throw new OperationException(OperationError.InvalidArgument, $"the folder's archive was refused: {e.Message}");
                }
            }

            File.Move(part, final);
            var upload = new SourceUpload(id, app.Id, app.Name, CleanName(name), sha256, bytes, entries, final, _time.GetUtcNow() + Options.PendingFor);
            lock (_sync)
            {
                if (_pending.Remove(app.Id, out var older))
                {
                    older.Dispose();
                }

                _pending[app.Id] = upload;
            }

            Log.Received(_log, id, app.Name, bytes, sha256);
            return upload;
        }
        finally
        {
            TryDelete(part);
            _inFlight.Release();
        }
    }

    // The deployment of `app` takes its pending upload `uploadId` over: from here on the
    // deployment deletes it. Refused when that upload is not the app's pending one.
    public SourceUpload Claim(AppRecord app, string uploadId)
    {
        ArgumentNullException.ThrowIfNull(app);
        lock (_sync)
        {
            if (_pending.TryGetValue(app.Id, out var upload) && upload.Id == uploadId && upload.ExpiresAt > _time.GetUtcNow() && !upload.Deleted)
            {
                _pending.Remove(app.Id);
                return upload;
            }
        }

        throw new OperationException(OperationError.FailedPrecondition,
            $"upload '{uploadId}' is not waiting for app '{app.Name}': it expired (an upload waits {Options.PendingFor.TotalMinutes:0.#} min for its deployment), " +
            $"a newer upload replaced it, or a deployment used it already. Run `clusterctl deploy {app.Name} --from-dir PATH` again");
    }

    // A claimed upload whose deployment did not start goes back, unless a newer one arrived
    // meanwhile or it expired.
    public void Return(SourceUpload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        lock (_sync)
        {
            if (!upload.Deleted && upload.ExpiresAt > _time.GetUtcNow() && _pending.TryAdd(upload.AppId, upload))
            {
                return;
            }
        }

        upload.Dispose();
    }

    // Deletes pending uploads past their expiry; runs every minute.
    public int Sweep()
    {
        List<SourceUpload> expired;
        lock (_sync)
        {
            var now = _time.GetUtcNow();
            expired = [.. _pending.Values.Where(u => u.ExpiresAt <= now)];
            foreach (var upload in expired)
            {
                _pending.Remove(upload.AppId);
            }
        }

        foreach (var upload in expired)
        {
            upload.Dispose();
            Log.Expired(_log, upload.Id, upload.App);
        }

        return expired.Count;
    }

    public string TooLarge(string size) =>
        $"the folder's archive is {size}, over the leader's limit of {ContextStream.Size(Options.MaxBytes)} for an uploaded build context: " +
        "leave out what the build does not need with a .dockerignore in the folder, or raise the limit (cluster-leader --max-upload-size)";

    public void Dispose()
    {
        _sweeper.Dispose();
        _inFlight.Dispose();
    }

    // Waits at most Options.IdleTimeout for each chunk (timed on the injected clock; the disk
    // write is not counted): an upload that stalls, e.g. a client stopped or a link gone dead
    // without a reset, is ended and frees its slot instead of holding it for as long as the
    // connection stays open.
    private async Task WriteAsync(string id, string appName, string part, long bytes, string sha256, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(part, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            Options = FileOptions.Asynchronous,
        });
        using var counted = new ContextStream(file, bytes, leaveOpen: true);
        using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        await using var next = chunks.GetAsyncEnumerator(either.Token);
        while (true)
        {
            idle.CancelAfter(Options.IdleTimeout);
            try
            {
                if (!await next.MoveNextAsync())
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Log.Stalled(_log, id, appName, counted.BytesWritten, bytes, Options.IdleTimeout.TotalSeconds);
                throw new OperationException(OperationError.Aborted,
                    $"upload {id} of app '{appName}' stalled: nothing arrived for {Options.IdleTimeout.TotalSeconds:0.#} s after {counted.BytesWritten} of {bytes} bytes, " +
                    $"so the leader ended it and kept nothing; check the connection to the leader and run `clusterctl deploy {appName} --from-dir PATH` again " +
                    "(a slow link may need a longer cluster-leader --upload-idle-timeout)");
            }

            idle.CancelAfter(Timeout.InfiniteTimeSpan);
            var chunk = next.Current;
            if (chunk.Length > SourceUploadOptions.ChunkBytes)
            {
                throw new OperationException(OperationError.InvalidArgument, $"an upload chunk of {chunk.Length} bytes is over the {SourceUploadOptions.ChunkBytes} allowed");
            }

            try
            {
                await counted.WriteAsync(chunk, cancellationToken);
            }
            catch (ContextException e) when (e.TooLarge)
            {
                throw new OperationException(OperationError.InvalidArgument, $"the upload sent more than the {bytes} bytes its header declared; nothing was kept");
            }
        }

        if (counted.BytesWritten != bytes)
        {
            throw new OperationException(OperationError.InvalidArgument, $"the upload ended after {counted.BytesWritten} of the {bytes} bytes its header declared; nothing was kept");
        }

        if (!string.Equals(counted.Sha256(), sha256, StringComparison.Ordinal))
        {
            throw new OperationException(OperationError.InvalidArgument, $"the upload arrived damaged: its sha256 is {counted.Sha256()}, not the {sha256} its header declared; nothing was kept");
        }
    }

    private static string CleanName(string? name)
    {
        var cleaned = new string((name ?? "").Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray());
        cleaned = cleaned.Length > 64 ? cleaned[..64] : cleaned;
        return cleaned.Length == 0 || cleaned.All(c => c == '.') ? "folder" : cleaned;
    }

    // Leftovers of a previous run: their deployments ended with that run.
    private static int Wipe(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            return 0;
        }

        var count = System.IO.Directory.EnumerateFileSystemEntries(directory).Count();
        System.IO.Directory.Delete(directory, recursive: true);
        return count;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Emptied at the next start.
        }
    }

    [GeneratedRegex(@"\A[0-9a-f]{64}\z")]
    private static partial Regex Sha256Pattern();

    private static partial class Log
    {
        [LoggerMessage(850, LogLevel.Information, "upload {Id} for app {App} received: {Bytes} bytes, sha256 {Sha256}")]
        public static partial void Received(ILogger logger, string id, string app, long bytes, string sha256);

        [LoggerMessage(851, LogLevel.Information, "upload {Id} for app {App} expired before a deployment used it; deleted")]
        public static partial void Expired(ILogger logger, string id, string app);

        [LoggerMessage(852, LogLevel.Information, "deleted {Count} upload(s) left in {Directory} by the previous run")]
        public static partial void Wiped(ILogger logger, int count, string directory);

        [LoggerMessage(853, LogLevel.Warning, "upload {Id} for app {App} stalled after {Received} of {Bytes} bytes: nothing for {Seconds} s; ended, slot freed, nothing kept")]
        public static partial void Stalled(ILogger logger, string id, string app, long received, long bytes, double seconds);
    }
}
