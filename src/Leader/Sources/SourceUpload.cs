namespace Cluster.Leader.Sources;

// One uploaded folder: a checked tar in DATA_DIR/uploads, and what it is. It belongs to the
// store until a deployment claims it, then to that deployment, which disposes of it (deletes
// the file) when its build ends; disposing twice is harmless.
public sealed class SourceUpload(string id, string appId, string app, string name, string sha256, long bytes, int entries, string path, DateTimeOffset expiresAt) : IDisposable
{
    private int _disposed;

    public string Id { get; } = id;

    public string AppId { get; } = appId;

    public string App { get; } = app;

    // The folder's base name, cleaned: display only.
    public string Name { get; } = name;

    public string Sha256 { get; } = sha256;

    public long Bytes { get; } = bytes;

    public int Entries { get; } = entries;

    public string Path { get; } = path;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    // "dir:NAME@sha256:HEX", as `deployment show` prints the source.
    public string Source => $"dir:{Name}@sha256:{Sha256}";

    public bool Deleted => Volatile.Read(ref _disposed) != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                File.Delete(Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The next leader start empties the directory.
            }
        }
    }
}
