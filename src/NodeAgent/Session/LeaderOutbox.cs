using System.Threading.Channels;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Session;

// Where work that runs beside the session (credential checks, pre-pulls) puts its reports.
// Reports (CredentialCheck, PrePullResult) wait here until a session takes them, so a result
// that completes during a reconnect still reaches the leader; at most Capacity wait, the
// oldest dropped first. Progress is sent only while a session is up: it is stale by the next.
internal sealed class LeaderOutbox
{
    public const int Capacity = 1000;

    private readonly Channel<AgentMessage> _reports = Channel.CreateBounded<AgentMessage>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private ChannelWriter<AgentMessage>? _session;

    internal ChannelReader<AgentMessage> Reports => _reports.Reader;

    public void Report(AgentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        _reports.Writer.TryWrite(message);
    }

    // True when a session took it.
    public bool SendIfConnected(AgentMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Volatile.Read(ref _session)?.TryWrite(message) ?? false;
    }

    // Raised when a new session starts taking reports. A report taken by a session that then
    // broke may never have reached the leader; work that keeps its results (pre-pulls) reports
    // them again here, and the leader ignores what it already has.
    public event Action? Attached;

    internal void Attach(ChannelWriter<AgentMessage> session)
    {
        Volatile.Write(ref _session, session);
        Attached?.Invoke();
    }

    internal void Detach(ChannelWriter<AgentMessage> session) => Interlocked.CompareExchange(ref _session, null, session);
}
