using System.Threading.Channels;
using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Tests.Session;

public sealed class LeaderOutboxTests
{
    [Fact]
    public void Report_NoSession_WaitsForTheNextOne()
    {
        var outbox = new LeaderOutbox();

        outbox.Report(Result("o-1"));

        Assert.True(outbox.Reports.TryRead(out var waiting));
        Assert.Equal("o-1", waiting.PrePullResult.OrderId);
    }

    [Fact]
    public void Report_MoreThanCapacity_DropsTheOldest()
    {
        var outbox = new LeaderOutbox();

        for (var i = 0; i <= LeaderOutbox.Capacity; i++)
        {
            outbox.Report(Result("o-" + i));
        }

        Assert.True(outbox.Reports.TryRead(out var first));
        Assert.Equal("o-1", first.PrePullResult.OrderId);
    }

    [Fact]
    public void SendIfConnected_OnlyWhileASessionIsAttached()
    {
        var outbox = new LeaderOutbox();
        var session = Channel.CreateUnbounded<AgentMessage>();
        var progress = new AgentMessage { PrePullProgress = new PrePullProgress { OrderId = "o-1" } };

        Assert.False(outbox.SendIfConnected(progress));
        outbox.Attach(session.Writer);
        Assert.True(outbox.SendIfConnected(progress));
        outbox.Detach(session.Writer);
        Assert.False(outbox.SendIfConnected(progress));
        Assert.True(session.Reader.TryRead(out _));
        Assert.False(session.Reader.TryRead(out _));
    }

    private static AgentMessage Result(string order) => new() { PrePullResult = new PrePullResult { OrderId = order } };
}
