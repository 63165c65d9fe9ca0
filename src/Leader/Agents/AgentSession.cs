using System.Threading.Channels;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// One live session with one agent. Everything sent to the agent goes through Outbox (gRPC allows
// one writer per stream); assignment sets are produced under the session's lock so the chain of
// revisions it sees is strictly ordered.
//
// The outbox is bounded, in messages (OutboxMessages) and in bytes (OutboxBytes): an agent that
// does not read its stream fills the transport's flow-control window, then the outbox, and is
// then dropped (Overflowed), so a slow or hostile reader costs the leader a fixed amount of
// memory, never more. A well-behaved agent holds a few messages at most.
public sealed class AgentSession : IDisposable
{
    public const int OutboxMessages = 1024;

    public const long OutboxBytes = 4 * 1024 * 1024;

    private readonly CancellationTokenSource _cts;

    // Taken once: steps that outlive the session (a pre-pull waiting for the agent to come back)
    // still read and link it after the session was disposed, and CancellationTokenSource.Token
    // throws ObjectDisposedException then. Dispose cancels first, so an ended session's token is
    // always cancelled.
    private readonly CancellationToken _token;
    private readonly Channel<LeaderMessage> _outbox = Channel.CreateUnbounded<LeaderMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _accounting = new();
    private int _queuedMessages;
    private long _queuedBytes;

    public AgentSession(string nodeId, string hostname, DateTime now, CancellationToken callToken)
    {
        NodeId = nodeId;
        Hostname = hostname;
        Id = Guid.NewGuid().ToString("N");
        LastHeartbeat = now;
        OpenedAt = now;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        _token = _cts.Token;
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

    // The credential ids this session was sent and still holds (under Sync): a check report for
    // any other id is refused, not stored.
    public HashSet<string> SentCredentials { get; } = new(StringComparer.Ordinal);

    public DateTime OpenedAt { get; }

    public DateTime LastHeartbeat { get; set; }

    // When the last FULL set answering a re-sync request went out (re-syncs are rate limited).
    public DateTime LastResyncAnswered { get; set; } = DateTime.MinValue;

    // Newest revision the agent acknowledged in this session; written to the database in batches
    // (AckWriter), read live by `node list`.
    public long AckedRevision { get; set; }

    public bool Replaced { get; private set; }

    // The agent did not read its stream and the outbox filled up: the session was dropped.
    public bool Overflowed { get; private set; }

    public CancellationToken Token => _token;

    public ChannelReader<LeaderMessage> Outbox => _outbox.Reader;

    // False when the message was not queued: the session is closed, or it just overflowed and is
    // being dropped.
    public bool Send(LeaderMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        lock (_accounting)
        {
            if (_queuedMessages + 1 > OutboxMessages || _queuedBytes + size > OutboxBytes)
            {
                if (!_cts.IsCancellationRequested)
                {
                    Overflowed = true;
                    Close();
                }

                return false;
            }

            if (!_outbox.Writer.TryWrite(message))
            {
                return false;
            }

            _queuedMessages++;
            _queuedBytes += size;
        }

        return true;
    }

    // The writer took a message off the outbox and handed it to the transport.
    public void Dequeued(LeaderMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        lock (_accounting)
        {
            _queuedMessages--;
            _queuedBytes -= size;
        }
    }

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

    // Tracks what the agent holds after a set, so its reports can be checked against it.
    public void Track(AssignmentSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Type == AssignmentSet.Types.Type.Full)
        {
            SentCredentials.Clear();
        }

        foreach (var change in set.Changes.Where(c => c.ItemCase == Assignment.ItemOneofCase.Credential))
        {
            if (change.Action == Assignment.Types.Action.Remove)
            {
                SentCredentials.Remove(change.Credential.Id);
            }
            else
            {
                SentCredentials.Add(change.Credential.Id);
            }
        }
    }

    public void Dispose()
    {
        Close();
        _cts.Dispose();
    }
}
