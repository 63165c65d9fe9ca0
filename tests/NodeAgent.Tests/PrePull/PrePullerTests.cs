using Cluster.Core.Registry;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.PrePull;
using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Tests.Support;
using Cluster.Protos.Agent.V1;
using Docker.DotNet.Models;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.PrePull;

public sealed class PrePullerTests : IDisposable
{
    private static readonly string Image = "registry.example:5000/team/app:7@sha256:" + new string('d', 64);

    private readonly ScriptedEngine _engine = new();
    private readonly AssignmentStore _store = new();
    private readonly LeaderOutbox _outbox = new();
    private readonly WatchedClock _time = new();
    private readonly PrePuller _puller;

    public PrePullerTests()
    {
        _puller = new PrePuller(new KeyringPuller(_engine), _store, _outbox, _time, NullLogger<PrePuller>.Instance);
    }

    [Fact]
    public async Task RunAsync_CredentialsFromCurrentSnapshot_ResultListsEveryAttemptInKeyringOrder()
    {
        Hold(Node("team", "registry.example:5000/team", username: "team-user", name: "lab-team"), Node("all", "registry.example:5000", username: "all-user", name: "lab"));
        _engine.PullFails("team-user", RegistryFailureKind.Unauthorized, "unauthorized: authentication required")
            .PullFails("all-user", RegistryFailureKind.NotFound, "manifest unknown");

        var result = await _puller.RunAsync(Order("o-1"), CancellationToken.None);

        Assert.Equal("o-1", result.OrderId);
        Assert.False(result.Ok);
        Assert.Equal(FailureKind.Unauthorized, result.Failure);
        Assert.Equal(["registry 'lab-team': unauthorized: authentication required", "registry 'lab': not found: manifest unknown"], result.Attempts);
    }

    [Fact]
    public async Task Start_Order_ReportsExactlyOneResultThroughTheOutbox()
    {
        Hold(Node("all", "registry.example:5000", username: "all-user"));
        var gate = new TaskCompletionSource();
        _engine.PullSucceedsAfter("all-user", "sha256:" + new string('e', 64), gate.Task);

        _puller.Start(Order("o-2"));
        _puller.Start(Order("o-2"));
        gate.SetResult();

        var report = await _outbox.Reports.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await _puller.StopAsync(CancellationToken.None);
        Assert.True(report.PrePullResult.Ok);
        Assert.Equal("sha256:" + new string('e', 64), report.PrePullResult.ImageId);
        Assert.False(_outbox.Reports.TryRead(out _));
    }

    [Fact]
    public async Task RunAsync_InvalidReference_OneFailedResultSayingWhy()
    {
        var result = await _puller.RunAsync(new PrePullOrder { OrderId = "o-3", Image = "Not A Reference" }, CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Equal(FailureKind.Other, result.Failure);
        Assert.Contains("not an image reference", result.Message, StringComparison.Ordinal);
        Assert.Empty(_engine.PullCalls);
    }

    [Fact]
    public async Task RunAsync_DeadlineAlreadyPassed_DeadlineWithoutPulling()
    {
        var order = Order("o-4");
        order.Deadline = Timestamp.FromDateTimeOffset(_time.GetUtcNow().AddSeconds(-1));

        var result = await _puller.RunAsync(order, CancellationToken.None);

        Assert.Equal(FailureKind.Deadline, result.Failure);
        Assert.Empty(_engine.PullCalls);
    }

    [Fact]
    public async Task RunAsync_DeadlinePassesDuringPull_DeadlineResult()
    {
        Hold(Node("all", "registry.example:5000", username: "all-user", name: "lab"));
        _engine.PullHangs("all-user");
        var order = Order("o-5");
        order.Deadline = Timestamp.FromDateTimeOffset(_time.GetUtcNow().AddMinutes(2));

        var run = _puller.RunAsync(order, CancellationToken.None);
        Assert.Equal(TimeSpan.FromMinutes(2), await _time.NextTimerAsync());
        _time.Advance(TimeSpan.FromMinutes(2));
        var result = await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(FailureKind.Deadline, result.Failure);
        Assert.Equal(["registry 'lab': deadline passed during the pull"], result.Attempts);
    }

    [Fact]
    public async Task RunAsync_SessionUp_SendsThrottledProgressWithLayerSums()
    {
        var session = System.Threading.Channels.Channel.CreateUnbounded<AgentMessage>();
        _outbox.Attach(session.Writer);
        _engine.PullSucceeds(null, "sha256:" + new string('f', 64));
        _engine.PullProgress =
        [
            new JSONMessage { ID = "l1", Status = "Downloading", Progress = new JSONProgress { Current = 10, Total = 100 } },
            new JSONMessage { ID = "l2", Status = "Downloading", Progress = new JSONProgress { Current = 5, Total = 50 } },
            new JSONMessage { ID = "l1", Status = "Download complete" },
        ];

        var result = await _puller.RunAsync(Order("o-6"), CancellationToken.None);

        Assert.True(result.Ok);
        Assert.True(session.Reader.TryRead(out var progress));
        Assert.Equal("o-6", progress.PrePullProgress.OrderId);
        Assert.Equal(10, progress.PrePullProgress.BytesDone);
        Assert.Equal(100, progress.PrePullProgress.BytesTotal);
        Assert.False(session.Reader.TryRead(out _));  // the rest fell within the same quarter second
    }

    [Fact]
    public async Task NewSession_ResultTakenByABrokenSession_IsReportedAgainUntilTheOrderDeadline()
    {
        await _puller.StartAsync(CancellationToken.None);
        Hold(Node("all", "registry.example:5000", username: "all-user"));
        _engine.PullSucceeds("all-user", "sha256:" + new string('e', 64));
        var order = Order("o-7");
        order.Deadline = Timestamp.FromDateTimeOffset(_time.GetUtcNow().AddMinutes(5));

        _puller.Start(order);
        // The first session takes the result, then breaks before the leader has it.
        var lost = await _outbox.Reports.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("o-7", lost.PrePullResult.OrderId);

        _outbox.Attach(System.Threading.Channels.Channel.CreateUnbounded<AgentMessage>().Writer);
        Assert.True(_outbox.Reports.TryRead(out var again));
        Assert.Equal(lost.PrePullResult, again.PrePullResult);

        // Once the order's deadline has passed the leader no longer waits for it: not sent again.
        _time.Advance(TimeSpan.FromMinutes(5));
        _outbox.Attach(System.Threading.Channels.Channel.CreateUnbounded<AgentMessage>().Writer);
        Assert.False(_outbox.Reports.TryRead(out _));
        await _puller.StopAsync(CancellationToken.None);
        Assert.Single(_engine.PullCalls);
    }

    public void Dispose() => _puller.Dispose();

    private static PrePullOrder Order(string id) => new() { OrderId = id, Image = Image, DeploymentId = "d-1" };

    private void Hold(params Cluster.NodeAgent.Credentials.NodeCredential[] credentials) =>
        _store.Publish(AssignmentSnapshot.Empty with
        {
            Revision = 3,
            Credentials = System.Collections.Immutable.ImmutableDictionary.CreateRange(credentials.Select(c => KeyValuePair.Create(c.Id, c))),
        });
}
