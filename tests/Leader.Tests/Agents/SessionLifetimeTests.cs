using Cluster.Leader.Agents;
using Cluster.Leader.Builds;

namespace Cluster.Leader.Tests.Agents;

// A pre-pull (or a build) outlives the agent's (or builder's) session: it reads and links the
// session's token after the gRPC call ended and the session was disposed. That once threw
// ObjectDisposedException ("internal error") in the lab's network-cut test. A disposed session's
// token stays readable and is cancelled, whether or not Close came first.
public sealed class SessionLifetimeTests
{
    [Fact]
    public void AgentSession_DisposedWithoutClose_TokenReadableAndCancelled()
    {
        var session = new AgentSession("node-1", "host-1", DateTime.UtcNow, CancellationToken.None);
        var before = session.Token;

        session.Dispose();

        Assert.True(session.Token.IsCancellationRequested);
        Assert.True(before.IsCancellationRequested);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(session.Token, CancellationToken.None);
        Assert.True(linked.IsCancellationRequested);
    }

    [Fact]
    public void AgentSession_CallEndedThenDisposed_TokenReadableAndCancelled()
    {
        using var call = new CancellationTokenSource();
        var session = new AgentSession("node-1", "host-1", DateTime.UtcNow, call.Token);
        call.Cancel();

        session.Dispose();
        session.Close();

        Assert.True(session.Token.IsCancellationRequested);
    }

    [Fact]
    public void BuilderConnection_Disposed_TokenReadableAndCancelledAndNoCapacity()
    {
        var connection = new BuilderConnection("b-1", "builder-1", "swarm-1", 1, DateTime.UtcNow, CancellationToken.None);
        Assert.True(connection.HasCapacity);

        connection.Dispose();

        Assert.True(connection.Token.IsCancellationRequested);
        Assert.False(connection.HasCapacity);
    }
}
