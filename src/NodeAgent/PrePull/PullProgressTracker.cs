using Cluster.Protos.Agent.V1;
using Docker.DotNet.Models;

namespace Cluster.NodeAgent.PrePull;

// Turns the engine's per-layer pull messages into one figure: bytes downloaded and bytes to
// download, summed over layers ("Downloading" carries each layer's current/total; a layer
// counts as done once it says "Download complete" or "Pull complete"). Throttled: at most one
// report per MinInterval, so a pull of many small layers does not flood the session.
internal sealed class PullProgressTracker(string orderId, TimeProvider time)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<string, (long Done, long Total)> _layers = new(StringComparer.Ordinal);
    private DateTimeOffset _lastReport = DateTimeOffset.MinValue;

    public long BytesDone => _layers.Values.Sum(l => l.Done);

    public long BytesTotal => _layers.Values.Sum(l => l.Total);

    public string Status { get; private set; } = "";

    // The progress to send now, or null while throttled.
    public PrePullProgress? Observe(JSONMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!string.IsNullOrEmpty(message.Status))
        {
            Status = message.Status;
        }

        if (!string.IsNullOrEmpty(message.ID) && !string.IsNullOrEmpty(message.Status))
        {
            _layers.TryGetValue(message.ID, out var layer);
            switch (message.Status)
            {
                case "Downloading" when message.Progress is { } progress:
                    layer = (progress.Current ?? 0, Math.Max(layer.Total, progress.Total ?? 0));
                    break;
                case "Download complete" or "Pull complete":
                    layer = (layer.Total, layer.Total);
                    break;
                case "Pulling fs layer" or "Waiting":
                    break;
                default:
                    // Other lines ("Pulling from", "Digest:", "Extracting", "Already exists")
                    // are not about download bytes.
                    return Throttled();
            }

            _layers[message.ID] = layer;
        }

        return Throttled();
    }

    private PrePullProgress? Throttled()
    {
        var now = time.GetUtcNow();
        if (now - _lastReport < MinInterval)
        {
            return null;
        }

        _lastReport = now;
        return new PrePullProgress { OrderId = orderId, BytesDone = BytesDone, BytesTotal = BytesTotal, Status = Status };
    }
}
