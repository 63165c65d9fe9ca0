using Cluster.NodeAgent.PrePull;
using Docker.DotNet.Models;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.NodeAgent.Tests.PrePull;

public sealed class PullProgressTrackerTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Observe_SeveralLayers_SumsBytesOverLayers()
    {
        var tracker = new PullProgressTracker("o-1", _time);

        tracker.Observe(Layer("a", "Pulling fs layer"));
        tracker.Observe(Downloading("a", 100, 1000));
        tracker.Observe(Downloading("b", 50, 500));
        tracker.Observe(Layer("b", "Download complete"));
        _time.Advance(TimeSpan.FromSeconds(1));
        var progress = tracker.Observe(Downloading("a", 400, 1000));

        Assert.NotNull(progress);
        Assert.Equal("o-1", progress.OrderId);
        Assert.Equal(900, progress.BytesDone);
        Assert.Equal(1500, progress.BytesTotal);
        Assert.Equal("Downloading", progress.Status);
    }

    [Fact]
    public void Observe_ManyMessagesAtOnce_AtMostOneReportPerInterval()
    {
        var tracker = new PullProgressTracker("o-1", _time);

        var sent = Enumerable.Range(1, 100).Count(i => tracker.Observe(Downloading("a", i, 100)) is not null);
        _time.Advance(PullProgressTracker.MinInterval);
        var afterInterval = tracker.Observe(Downloading("a", 100, 100));

        Assert.Equal(1, sent);
        Assert.NotNull(afterInterval);
        Assert.Equal(100, afterInterval.BytesDone);
    }

    [Fact]
    public void Observe_NonDownloadLines_DoNotChangeBytes()
    {
        var tracker = new PullProgressTracker("o-1", _time);
        tracker.Observe(Downloading("a", 10, 100));

        tracker.Observe(Layer("a", "Extracting"));
        tracker.Observe(new JSONMessage { Status = "Digest: sha256:abc" });

        Assert.Equal(10, tracker.BytesDone);
        Assert.Equal(100, tracker.BytesTotal);
    }

    private static JSONMessage Layer(string id, string status) => new() { ID = id, Status = status };

    private static JSONMessage Downloading(string id, long current, long total) =>
        new() { ID = id, Status = "Downloading", Progress = new JSONProgress { Current = current, Total = total } };
}
