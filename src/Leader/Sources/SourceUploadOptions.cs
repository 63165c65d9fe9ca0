namespace Cluster.Leader.Sources;

// Folders sent at deploy time: how large a tar the leader takes (cluster-leader
// --max-upload-size), how long an upload waits for its deployment, and how many may arrive at
// once. Chunks are at most ChunkBytes, so no message on this path is larger than that.
public sealed record SourceUploadOptions
{
    public const int ChunkBytes = 1 << 20;

    public long MaxBytes { get; init; } = 512L << 20;

    public TimeSpan PendingFor { get; init; } = TimeSpan.FromMinutes(15);

    public int MaxInFlight { get; init; } = 4;

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
