using System.Threading.Channels;
using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Apps;

namespace Cluster.Leader.Builds;

// Housekeeping of built images (issue #10 item 7). The leader alone knows what is still used, so
// it decides the keep list and sends it, with the number to keep per app (--keep-images), to
// every connected build server (BuildOrder.prune_images, for its engine) and every agent
// (LeaderMessage.prune_images, for its node's engine); each prunes its own engine with the same
// rule (Core/Builds/ImageRetention): only images carrying the build labels, the newest N per
// app, never one in the keep list or used by a container. The keep list holds every swarm
// service's image and its previous spec's (a rollback target), every app's pinned or local image
// and the images of running deployments. If the services cannot be listed nothing is sent: a
// keep list that may miss something is never used.
//
// It runs after each deployment of a built app ends (debounced: a burst of deployments is one
// round) and every HousekeepingInterval.
public sealed partial class ImageHousekeeping(
    DockerEngine engine,
    AppService apps,
    IRunningDeployments deployments,
    BuilderRegistry builders,
    SessionRegistry sessions,
    BuildOptions options,
    TimeProvider time,
    ILogger<ImageHousekeeping> log) : BackgroundService
{
    // Lets the deployment's own last steps (pins published, the service settling) pass first.
    public static readonly TimeSpan Debounce = TimeSpan.FromSeconds(2);

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public static IReadOnlyList<string> KeepList(IEnumerable<string> serviceImages, IEnumerable<Storage.AppRecord> apps, IEnumerable<string> inFlight)
    {
        ArgumentNullException.ThrowIfNull(serviceImages);
        ArgumentNullException.ThrowIfNull(apps);
        ArgumentNullException.ThrowIfNull(inFlight);
        return serviceImages
            .Concat(apps.SelectMany(a => new[] { a.PinnedImage, a.LocalImage ? $"{a.Image}:{a.Tag}" : "" }))
            .Concat(inFlight)
            .Where(i => !string.IsNullOrWhiteSpace(i))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    // One round now: compute the keep list and send the orders. False when nothing was sent
    // (housekeeping off, or the services could not be read).
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        if (options.KeepImagesPerApp <= 0)
        {
            return false;
        }

        IReadOnlyList<string> serviceImages;
        try
        {
            var services = await engine.ListServicesAsync(cancellationToken);
            serviceImages = [.. services.SelectMany(s => new[] { s.Spec?.TaskTemplate?.ContainerSpec?.Image, s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image }).OfType<string>()];
        }
        catch (DockerOperationException e)
        {
            Log.ServicesUnreadable(log, e.Detail);
            return false;
        }

        var keep = KeepList(serviceImages, apps.List(), deployments.InFlightImages);
        var toBuilders = new Protos.Build.V1.PruneImages { KeepPerApp = (uint)options.KeepImagesPerApp };
        toBuilders.Keep.Add(keep);
        var toAgents = new Protos.Agent.V1.PruneImages { KeepPerApp = (uint)options.KeepImagesPerApp };
        toAgents.Keep.Add(keep);
        var sent = 0;
        foreach (var builder in builders.Live)
        {
            sent += builder.Send(new Protos.Build.V1.BuildOrder { PruneImages = toBuilders }) ? 1 : 0;
        }

        foreach (var session in sessions.Live)
        {
            sent += session.Send(new Protos.Agent.V1.LeaderMessage { PruneImages = toAgents }) ? 1 : 0;
        }

        Log.Sent(log, sent, options.KeepImagesPerApp, keep.Count);
        return true;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        deployments.Ended += OnDeploymentEnded;
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        deployments.Ended -= OnDeploymentEnded;
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.KeepImagesPerApp <= 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var period = new CancellationTokenSource(options.HousekeepingInterval, time))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(period.Token, stoppingToken))
                {
                    try
                    {
                        await _wake.Reader.ReadAsync(either.Token);
                        await Task.Delay(Debounce, time, stoppingToken);
                        _wake.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // The interval passed: a round anyway.
                    }
                }

                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void OnDeploymentEnded(Storage.AppRecord app)
    {
        if (app.Source is AppSources.Git or AppSources.Dir)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(840, LogLevel.Information, "housekeeping: sent prune orders to {Count} build server(s) and agent(s): keep the newest {Keep} images per built app and {Used} image(s) in use")]
        public static partial void Sent(ILogger logger, int count, int keep, int used);

        [LoggerMessage(841, LogLevel.Warning, "housekeeping skipped: cannot list the swarm's services ({Message}), so what is in use is unknown")]
        public static partial void ServicesUnreadable(ILogger logger, string message);
    }
}
