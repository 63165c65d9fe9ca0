using System.Collections.Concurrent;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Session;
using Cluster.Protos.Agent.V1;
using Docker.DotNet.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.PrePull;

// Runs the leader's pre-pull orders and keeps pinned images present, beside the session (a
// long pull never holds up heartbeats). Each order gets throttled progress while a session is
// up and one PrePullResult, which waits in the outbox across a reconnect. A result is also kept
// until its order's deadline and reported again at the start of every new session: one that a
// breaking session took but never delivered still reaches the leader, which matches results by
// order id and ignores repeats. An order id already running is not started twice; neither is a
// pinned image.
internal sealed partial class PrePuller(
    KeyringPuller puller,
    AssignmentStore store,
    LeaderOutbox outbox,
    TimeProvider time,
    ILogger<PrePuller> log) : IHostedService, IDisposable
{
    // When an order names no deadline, and for pinned images.
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromHours(1);

    // Results kept for re-sending, at most this many (the one whose deadline comes first is dropped).
    public const int KeptResults = 256;

    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<string, (PrePullResult Result, DateTimeOffset Until)> _kept = new(StringComparer.Ordinal);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    public void Start(PrePullOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        Track("order " + order.OrderId, async ct =>
        {
            PrePullResult result;
            try
            {
                result = await RunAsync(order, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Whatever happened, the leader gets its one result.
                result = new PrePullResult { OrderId = order.OrderId, Ok = false, Failure = FailureKind.Other, Message = $"pre-pull failed on this node: {e.Message}" };
                Log.OrderFailed(log, order.OrderId, result.Message);
            }

            Keep(result, order.Deadline?.ToDateTimeOffset() ?? time.GetUtcNow() + DefaultDeadline);
            outbox.Report(new AgentMessage { PrePullResult = result });
        });
    }

    // A new session started: every kept result whose order is still current goes out again.
    public void ReportKeptResults()
    {
        var now = time.GetUtcNow();
        foreach (var (orderId, kept) in _kept)
        {
            if (kept.Until <= now)
            {
                _kept.TryRemove(orderId, out _);
                continue;
            }

            outbox.Report(new AgentMessage { PrePullResult = kept.Result });
        }
    }

    public void EnsurePinned(IEnumerable<PinnedImage> pins)
    {
        ArgumentNullException.ThrowIfNull(pins);
        foreach (var pin in pins)
        {
            Track("pin " + pin.Image, ct => PullPinnedAsync(pin, ct));
        }
    }

    // One order, start to result. Never throws for a failed pull; throws only when the agent
    // stops.
    public async Task<PrePullResult> RunAsync(PrePullOrder order, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        Log.OrderReceived(log, order.OrderId, order.Image, order.DeploymentId);
        if (!ImageReference.TryParse(order.Image, out var image, out var error))
        {
            var invalid = new PrePullResult { OrderId = order.OrderId, Ok = false, Failure = FailureKind.Other, Message = $"'{order.Image}' is not an image reference: {error.Message}" };
            Log.OrderFailed(log, order.OrderId, invalid.Message);
            return invalid;
        }

        var remaining = (order.Deadline?.ToDateTimeOffset() ?? time.GetUtcNow() + DefaultDeadline) - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            var late = new PrePullResult { OrderId = order.OrderId, Ok = false, Failure = FailureKind.Deadline, Message = $"the deadline for pulling {image.Canonical} had passed when the order arrived" };
            Log.OrderFailed(log, order.OrderId, late.Message);
            return late;
        }

        using var deadline = new CancellationTokenSource(remaining < LongestTimer ? remaining : LongestTimer, time);
        var tracker = new PullProgressTracker(order.OrderId, time);
        var progress = new SynchronousProgress<JSONMessage>(message =>
        {
            if (tracker.Observe(message) is { } update)
            {
                outbox.SendIfConnected(new AgentMessage { PrePullProgress = update });
            }
        });
        var outcome = await puller.PullAsync(image, KeyringPuller.BuildKeyring(store.Current), progress, deadline.Token, cancellationToken);
        if (outcome.Ok)
        {
            Log.OrderSucceeded(log, order.OrderId, image.Canonical, outcome.ImageId);
        }
        else
        {
            Log.OrderFailed(log, order.OrderId, outcome.Message);
        }

        return outcome.ToResult(order.OrderId);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        outbox.Attached += ReportKeptResults;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        outbox.Attached -= ReportKeptResults;
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // The host's shutdown timeout wins.
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task PullPinnedAsync(PinnedImage pin, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(pin.Image, out var image, out var error))
        {
            Log.PinFailed(log, pin.AppId, pin.Image, error.Message);
            return;
        }

        using var deadline = new CancellationTokenSource(DefaultDeadline, time);
        var outcome = await puller.PullAsync(image, KeyringPuller.BuildKeyring(store.Current), null, deadline.Token, cancellationToken);
        if (outcome.Ok)
        {
            Log.PinPresent(log, pin.AppId, image.Canonical, outcome.Message);
        }
        else
        {
            Log.PinFailed(log, pin.AppId, pin.Image, outcome.Message);
        }
    }

    private void Keep(PrePullResult result, DateTimeOffset until)
    {
        _kept[result.OrderId] = (result, until);
        while (_kept.Count > KeptResults && _kept.MinBy(k => k.Value.Until) is { Key: { } oldest })
        {
            _kept.TryRemove(oldest, out _);
        }
    }

    private void Track(string key, Func<CancellationToken, Task> work)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running.TryAdd(key, done.Task))
        {
            Log.AlreadyRunning(log, key);
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await work(_stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Stopping: the session is going away too.
            }
            catch (Exception e)
            {
                Log.Crashed(log, key, e.Message);
            }
            finally
            {
                _running.TryRemove(key, out _);
                done.SetResult();
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(1300, LogLevel.Information, "Pre-pull {OrderId}: {Image} for deployment {DeploymentId}")]
        public static partial void OrderReceived(ILogger logger, string orderId, string image, string deploymentId);

        [LoggerMessage(1301, LogLevel.Information, "Pre-pull {OrderId}: {Image} present as {ImageId}")]
        public static partial void OrderSucceeded(ILogger logger, string orderId, string image, string imageId);

        [LoggerMessage(1302, LogLevel.Warning, "Pre-pull {OrderId} failed: {Message}")]
        public static partial void OrderFailed(ILogger logger, string orderId, string message);

        [LoggerMessage(1303, LogLevel.Information, "Pinned image of app {AppId}: {Image}: {Message}")]
        public static partial void PinPresent(ILogger logger, string appId, string image, string message);

        [LoggerMessage(1304, LogLevel.Warning, "Pinned image of app {AppId} ({Image}) could not be pulled: {Message}")]
        public static partial void PinFailed(ILogger logger, string appId, string image, string message);

        [LoggerMessage(1305, LogLevel.Debug, "{Key} is already running; not starting it twice")]
        public static partial void AlreadyRunning(ILogger logger, string key);

        [LoggerMessage(1306, LogLevel.Error, "{Key} failed unexpectedly: {Message}")]
        public static partial void Crashed(ILogger logger, string key, string message);
    }
}
