using System.Threading.Channels;
using Cluster.Core.Builds;
using Cluster.Core.Docker;
using Cluster.NodeAgent.Assignments;
using Cluster.Protos.Agent.V1;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Housekeeping;

// Prunes this node's engine when the leader says so (LeaderMessage.prune_images): the newest N
// images of each built app stay, older ones go unless the leader names them as used or this
// node holds a pin for them (PinKeeper would only pull a removed pin again). ImageRetention
// decides, ImagePruner removes, never forced, so an image a container uses stays. One prune at
// a time, off the session's read loop; a newer order replaces a waiting one. Images without the
// build labels (everything the cluster's build servers did not make) are never touched.
internal sealed partial class ImageHousekeeper(IDockerEngine engine, AssignmentStore store, ILogger<ImageHousekeeper> log) : BackgroundService
{
    private readonly Channel<PruneImages> _orders = Channel.CreateBounded<PruneImages>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    public void Request(PruneImages order) => _orders.Writer.TryWrite(order);

    // One order, now: what was removed and what was kept because it is in use.
    public async Task<ImagePruner.Report> PruneAsync(PruneImages order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        var keep = order.Keep.Concat(store.Current.Pins.Values.Select(p => p.Image)).ToList();
        var report = await ImagePruner.PruneAsync(engine, (int)Math.Min(order.KeepPerApp, int.MaxValue), keep, cancellationToken);
        if (report.Removed.Count > 0 || report.Kept.Count > 0)
        {
            Log.Pruned(log, report.Removed.Count, (int)order.KeepPerApp, string.Join(", ", report.Removed), string.Join("; ", report.Kept));
        }

        return report;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var order in _orders.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await PruneAsync(order, stoppingToken);
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
        [LoggerMessage(1500, LogLevel.Information, "Housekeeping removed {Count} old built image(s) from this node (keeping the newest {Keep} per app): {Removed}; kept because in use: {Kept}")]
        public static partial void Pruned(ILogger logger, int count, int keep, string removed, string kept);

        [LoggerMessage(1501, LogLevel.Warning, "Housekeeping of built images on this node failed: {Message}; the next order tries again")]
        public static partial void Failed(ILogger logger, string message);
    }
}
