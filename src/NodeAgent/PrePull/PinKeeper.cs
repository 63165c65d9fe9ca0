using System.Threading.Channels;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.NodeAgent.Assignments;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.PrePull;

// Keeps every pinned image present on this node, so a task swarm reschedules here always finds
// its image: service specs carry no registry auth (it would be stored, readable, on every
// worker), so the node's own copy is what a task starts from. An image the engine deletes
// (`docker rmi`, `docker image prune -a`) is noticed from the engine's events and pulled again
// through the node's keyring; a slow check every CheckPeriod covers events missed while the
// event stream was down.
internal sealed partial class PinKeeper(
    IDockerEngine engine,
    AssignmentStore store,
    PrePuller prePuller,
    TimeProvider time,
    ILogger<PinKeeper> log) : BackgroundService
{
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan RetryWatch = TimeSpan.FromSeconds(5);

    // At most one wake-up waits: a burst of events means one check.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = WatchAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var period = new CancellationTokenSource(CheckPeriod, time))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(period.Token, stoppingToken))
                {
                    try
                    {
                        await _wake.Reader.ReadAsync(either.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // The period passed without an event: check anyway.
                    }
                }

                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (DockerOperationException e)
            {
                Log.CheckFailed(log, e.Message);
            }
        }

        await watch;
    }

    // Every pin whose image the engine lacks is pulled again (PrePuller pulls one image once at
    // a time, so a burst of events costs one pull).
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        foreach (var pin in store.Current.Pins.Values)
        {
            // The digest decides; the engine finds a pulled-by-digest image as repo@digest.
            if (!ImageReference.TryParse(pin.Image, out var image, out _) || image.Digest is null)
            {
                continue;
            }

            if (await engine.FindImageIdAsync($"{image.Name}@{image.Digest}", cancellationToken) is null)
            {
                Log.Missing(log, pin.AppId, pin.Image);
                prePuller.EnsurePinned([pin]);
            }
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Anything removed while the stream was down is found by this first check.
                Wake();
                await engine.WatchImageRemovalsAsync(Wake, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (DockerOperationException e)
            {
                Log.WatchFailed(log, e.Message, RetryWatch.TotalSeconds);
            }

            try
            {
                await Task.Delay(RetryWatch, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1320, LogLevel.Information, "Pinned image of app {AppId} is gone from this node ({Image}); pulling it again")]
        public static partial void Missing(ILogger logger, string appId, string image);

        [LoggerMessage(1321, LogLevel.Warning, "Checking pinned images failed: {Message}")]
        public static partial void CheckFailed(ILogger logger, string message);

        [LoggerMessage(1322, LogLevel.Warning, "Watching the engine's image events failed: {Message}; retrying in {Seconds} s")]
        public static partial void WatchFailed(ILogger logger, string message, double seconds);
    }
}
