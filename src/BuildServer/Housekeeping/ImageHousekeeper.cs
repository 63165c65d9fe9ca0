using System.Threading.Channels;
using Cluster.BuildServer.Jobs;
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
// A prune waits while any build job runs (BuildActivity): a cached rebuild may be about to tag
// and push an image the prune would count as old.
internal sealed partial class ImageHousekeeper(IDockerEngine engine, BuildActivity activity, ILogger<ImageHousekeeper> log) : BackgroundService
{
    private readonly Channel<PruneImages> _orders = Channel.CreateBounded<PruneImages>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    public void Request(PruneImages order) => _orders.Writer.TryWrite(order);

    // One order: waits until no build job runs, then prunes with the newest order received by
    // then (this one, or one that replaced it while it waited).
    public async Task<ImagePruner.Report> PruneAsync(PruneImages order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (activity.RunningJobs is var running and > 0)
        {
            Log.Deferred(log, running);
        }

        using var lease = await activity.EnterPruneAsync(cancellationToken);
        while (_orders.Reader.TryRead(out var newer))
        {
            order = newer;
        }

        var report = await ImagePruner.PruneAsync(engine, (int)Math.Min(order.KeepPerApp, int.MaxValue), order.Keep, cancellationToken);
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
        [LoggerMessage(2200, LogLevel.Information, "Housekeeping removed {Count} old built image(s) (keeping the newest {Keep} per app): {Removed}; kept because in use: {Kept}")]
        public static partial void Pruned(ILogger logger, int count, int keep, string removed, string kept);

        [LoggerMessage(2201, LogLevel.Warning, "Housekeeping of built images failed: {Message}; the next order tries again")]
        public static partial void Failed(ILogger logger, string message);

        [LoggerMessage(2202, LogLevel.Information, "Housekeeping deferred: {Running} build job(s) running; pruning once none runs")]
        public static partial void Deferred(ILogger logger, int running);
    }
}
