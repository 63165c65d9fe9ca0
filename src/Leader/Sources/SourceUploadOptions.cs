namespace Cluster.Leader.Sources;

// Folders sent at deploy time: how large a tar the leader takes (cluster-leader
// --max-upload-size), how long an upload waits for its deployment, how many may arrive at
// once, and how long one may go without a chunk arriving before the leader ends it and frees
// its slot (--upload-idle-timeout). Chunks are at most ChunkBytes, so no message on this path is
// larger than that.
public sealed record SourceUploadOptions
{
    public const int ChunkBytes = 1 << 20;

    public long MaxBytes { get; init; } = 512L << 20;

    public TimeSpan PendingFor { get; init; } = TimeSpan.FromMinutes(15);

    public int MaxInFlight { get; init; } = 4;

    // Longest wait for the next chunk (up to ChunkBytes: 2 min lets a 1 MiB chunk through a link
    // of about 9 KB/s). An upload that sends nothing for this long is ended and frees its slot.
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);

    // "512M", "2G", "300K" (binary units; a trailing "B" or "iB" is allowed) or plain bytes.
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        var s = (text ?? "").Trim().ToUpperInvariant();
        s = s.EndsWith("IB", StringComparison.Ordinal) ? s[..^2] : s.EndsWith('B') ? s[..^1] : s;
        var shift = s.Length == 0 ? 0 : s[^1] switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        var number = shift > 0 ? s[..^1] : s;
        if (!long.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value > long.MaxValue >> shift)
        {
            return false;
        }

        bytes = value << shift;
        return true;
    }
}
