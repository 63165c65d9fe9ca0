using System.Threading.Channels;
using Cluster.Core.Builds;
using Cluster.Core.Docker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeJoin.Housekeeping;

// Prunes this daemon's engine (a node's through its agent, or a build server's) when the leader
// says so (prune_images): the newest N images of each built app stay, older ones go unless the
// leader names them as used or the daemon keeps them itself (HousekeeperSetup.LocalKeep: the
// agent's pins). ImageRetention decides, ImagePruner removes, never forced, so an image a
// container uses stays. One prune at a time, off the session's read loop, and only while the
// setup's gate lets it (the builder's: no build job running); an order that arrives meanwhile
// replaces a waiting one (the newest keep list is the one that counts), and what the gated work
// made meanwhile is kept as well (IPruneGate.Recent). Images without the build labels
// (everything the cluster's build servers did not make) are never touched.
internal sealed partial class ImageHousekeeper(IDockerEngine engine, HousekeeperSetup setup, ILogger<ImageHousekeeper> log) : BackgroundService
{
    private readonly Channel<PruneOrder> _orders = Channel.CreateBounded<PruneOrder>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });

    public void Request(PruneOrder order) => _orders.Writer.TryWrite(order);

    // One order, now (or once the gate lets it, with the newest order received by then): what
    // was removed and what was kept because it is in use.
    public async Task<ImagePruner.Report> PruneAsync(PruneOrder order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        if (setup.Gate.Busy is var busy and > 0)
        {
            Log.Deferred(log, setup.EngineName, busy, setup.Gate.What);
        }

        using var lease = await setup.Gate.EnterPruneAsync(cancellationToken);
        while (_orders.Reader.TryRead(out var newer))
        {
            order = newer;
        }

        var recent = setup.Gate.Recent();
        var keep = order.Keep.Concat(setup.LocalKeep()).Concat(recent).ToList();
        var report = await ImagePruner.PruneAsync(engine, (int)Math.Min(order.KeepPerApp, int.MaxValue), keep, cancellationToken);
        setup.Gate.Pruned(recent);
        if (report.Removed.Count > 0 || report.Kept.Count > 0)
        {
            Log.Pruned(log, report.Removed.Count, setup.EngineName, (int)Math.Min(order.KeepPerApp, int.MaxValue), string.Join(", ", report.Removed), string.Join("; ", report.Kept));
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
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Whatever one prune met (the engine refusing, a client timeout, a reply it
                    // could not read), the loop and the daemon go on: a fault here would end
                    // housekeeping, and with it the whole host (a BackgroundService's fault stops it).
                    Log.Failed(log, setup.EngineName, e is DockerOperationException ? e.Message : $"{e.GetType().Name}: {e.Message}");
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
        [LoggerMessage(1110, LogLevel.Information, "Housekeeping removed {Count} old built image(s) from {Engine} (keeping the newest {Keep} per app): {Removed}; kept because in use: {Kept}")]
        public static partial void Pruned(ILogger logger, int count, string engine, int keep, string removed, string kept);

        [LoggerMessage(1111, LogLevel.Warning, "Housekeeping of built images on {Engine} failed: {Message}; the next order tries again")]
        public static partial void Failed(ILogger logger, string engine, string message);

        [LoggerMessage(1112, LogLevel.Information, "Housekeeping of {Engine} deferred: {Busy} {What} running; pruning once none runs")]
        public static partial void Deferred(ILogger logger, string engine, int busy, string what);
    }
}
