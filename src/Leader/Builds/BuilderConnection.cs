using System.Collections.Concurrent;
using System.Threading.Channels;
using Cluster.Protos.Build.V1;

namespace Cluster.Leader.Builds;

// The leader's end of one builder session: who it is, where its engine sits in the swarm, how
// many jobs it may run, what it runs now, and the outbox its stream writer drains. Ending the
// session (Close) fails every job still running on it, so no deployment waits for a builder
// that is gone.
public sealed class BuilderConnection : IDisposable
{
    private readonly CancellationTokenSource _cts;

    // Taken once, as AgentSession does: a build waiting on this connection may read it after
    // Dispose, when CancellationTokenSource.Token would throw. Dispose cancels first.
    private readonly CancellationToken _token;
    private readonly Channel<BuildOrder> _outbox = Channel.CreateUnbounded<BuildOrder>(new UnboundedChannelOptions { SingleReader = true });

    public BuilderConnection(string nodeId, string hostname, string swarmNodeId, int parallelism, DateTime startedAt, CancellationToken callToken)
    {
        NodeId = nodeId;
        Hostname = hostname;
        SwarmNodeId = swarmNodeId;
        Parallelism = Math.Clamp(parallelism, 1, 16);
        LastHeartbeat = startedAt;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        _token = _cts.Token;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public string NodeId { get; }

    public string Hostname { get; }

    // The builder engine's swarm node id; empty when that engine is not in the swarm.
    public string SwarmNodeId { get; }

    public int Parallelism { get; }

    public DateTime LastHeartbeat { get; set; }

    public bool Replaced { get; private set; }

    public CancellationToken Token => _token;

    public ChannelReader<BuildOrder> Outbox => _outbox.Reader;

    // Jobs sent to this builder and not finished yet.
    public ConcurrentDictionary<string, PendingBuild> Jobs { get; } = new(StringComparer.Ordinal);

    // Auto-Sync's branch-head checks sent to this builder and not answered yet (they take no
    // build slot: one ls-remote each).
    public ConcurrentDictionary<string, TaskCompletionSource<GitHeadResult>> HeadChecks { get; } = new(StringComparer.Ordinal);

    public bool HasCapacity => Jobs.Count < Parallelism && !_token.IsCancellationRequested;

    public bool Send(BuildOrder order) => _outbox.Writer.TryWrite(order);

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
            // already gone
        }
    }

    public void Dispose()
    {
        Close();
        _cts.Dispose();
    }
}
