using System.Threading.Channels;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// One live session with one agent. Everything sent to the agent goes through Outbox (gRPC allows
// one writer per stream); assignment sets are produced under the session's lock so the chain of
// revisions it sees is strictly ordered.
public sealed class AgentSession : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Channel<LeaderMessage> _outbox = Channel.CreateUnbounded<LeaderMessage>(new UnboundedChannelOptions { SingleReader = true });

    public AgentSession(string nodeId, string hostname, DateTime now, CancellationToken callToken)
    {
        NodeId = nodeId;
        Hostname = hostname;
        Id = Guid.NewGuid().ToString("N");
        LastHeartbeat = now;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
    }

    public string Id { get; }

    public string NodeId { get; }

    public string Hostname { get; set; }

    public string Architecture { get; set; } = "";

    public string SwarmNodeId { get; set; } = "";

    // "manager" or "worker", as the node's engine said at hello.
    public string SwarmRole { get; set; } = "";

    public Lock Sync { get; } = new();

    // The revision the last assignment set sent on this session results in.
    public long LastSentRevision { get; set; } = -1;

    public DateTime LastHeartbeat { get; set; }

    // Newest revision the agent acknowledged in this session; written to the database in batches
    // (AckWriter), read live by `node list`.
    public long AckedRevision { get; set; }

    public bool Replaced { get; private set; }

    public CancellationToken Token => _cts.Token;

    public ChannelReader<LeaderMessage> Outbox => _outbox.Reader;

    public bool Send(LeaderMessage message) => _outbox.Writer.TryWrite(message);

    // Ends the session because a newer one for the same node took over.
    public void Replace()
    {
        Replaced = true;
        Close();
    }

    public void Close()
    {
        _outbox.Writer.TryComplete();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed and disposed.
        }
    }

    public void Dispose() => _cts.Dispose();
}
