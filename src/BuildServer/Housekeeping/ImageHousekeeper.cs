using System.Threading.Channels;
using Cluster.Core.Builds;
using Cluster.Core.Docker;
using Cluster.Protos.Build.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.BuildServer.Housekeeping;

// Prunes the build server's engine when the leader says so (BuildOrder.prune_images): the
// newest N images of each app it built stay, older ones go unless the leader names them as
// still used (ImageRetention decides, ImagePruner removes, never forced). One prune at a time,
// off the session's read loop; an order that arrives meanwhile replaces any waiting one (the
// newest keep list is the one that counts). Images without the build labels are never touched.
internal sealed partial class ImageHousekeeper(DockerEngine engine, ILogger<ImageHousekeeper> log) : BackgroundService
{
    private readonly Channel<PruneImages> _orders = Channel.CreateBounded<PruneImages>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    public void Request(PruneImages order) => _orders.Writer.TryWrite(order);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var order in _orders.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    var report = await ImagePruner.PruneAsync(engine, (int)Math.Min(order.KeepPerApp, int.MaxValue), order.Keep, stoppingToken);
                    if (report.Removed.Count > 0 || report.Kept.Count > 0)
                    {
                        Log.Pruned(log, report.Removed.Count, (int)order.KeepPerApp, string.Join(", ", report.Removed), string.Join("; ", report.Kept));
                    }
                }
                catch (DockerOperationException e)
                {
                    Log.Failed(log, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2200, LogLevel.Information, "Housekeeping removed {Count} old built image(s) (keeping the newest {Keep} per app): {Removed}; kept because in use: {Kept}")]
        public static partial void Pruned(ILogger logger, int count, int keep, string removed, string kept);

        [LoggerMessage(2201, LogLevel.Warning, "Housekeeping of built images failed: {Message}; the next order tries again")]
        public static partial void Failed(ILogger logger, string message);
    }
}
