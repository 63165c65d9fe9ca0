using System.Collections.Concurrent;
using Cluster.Leader.Credentials;
using Cluster.Leader.Hosting;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// The live agent sessions. Credential changes reach every session the moment they commit: each
// session gets the increment from the revision it last received, or a full snapshot when its
// chain does not line up. A node is ready while its session is open and its last heartbeat is
// younger than 3 heartbeat periods.
public sealed partial class SessionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, AgentSession> _sessions = new(StringComparer.Ordinal);
    private readonly CredentialService _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionRegistry> _log;

    public SessionRegistry(CredentialService credentials, LeaderOptions options, TimeProvider time, ILogger<SessionRegistry> log)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(options);
        _credentials = credentials;
        _time = time;
        _log = log;
        HeartbeatPeriod = options.HeartbeatPeriod;
        _credentials.Changed += OnCredentialChanged;
    }

    public TimeSpan HeartbeatPeriod { get; }

    // The images every app currently pins that may run on a session's node, so a joining or
    // reconnecting node pre-pulls them before swarm schedules a task there. Set by the apps.
    public Func<AgentSession, IEnumerable<ImagePin>> PinsFor { get; set; } = _ => [];

    public TimeSpan DownAfter => HeartbeatPeriod * 3;

    public IReadOnlyCollection<AgentSession> Live => [.. _sessions.Values];

    public AgentSession? Find(string nodeId) => _sessions.TryGetValue(nodeId, out var s) ? s : null;

    public bool IsReady(string nodeId) =>
        _sessions.TryGetValue(nodeId, out var s) && _time.GetUtcNow().UtcDateTime - s.LastHeartbeat < DownAfter;

    // Registers a new session for the node, ending any older one.
    public void Open(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        AgentSession? previous = null;
        _sessions.AddOrUpdate(session.NodeId, session, (_, old) =>
        {
            previous = old;
            return session;
        });
        if (previous is not null)
        {
            Log.Replaced(_log, session.NodeId, previous.Id);
            previous.Replace();
        }

        Log.Opened(_log, session.NodeId, session.Hostname, session.Id);
    }

    // Leader stopping: end every session now (agents reconnect to the next leader process)
    // instead of holding the streams through the shutdown timeout.
    public void CloseAll()
    {
        ShuttingDown = true;
        foreach (var session in _sessions.Values)
        {
            session.Close();
        }
    }

    public bool ShuttingDown { get; private set; }

    public void Close(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _sessions.TryRemove(new KeyValuePair<string, AgentSession>(session.NodeId, session));
        session.Close();
        Log.Closed(_log, session.NodeId, session.Id);
    }

    // Sends the complete current state. Used at session start and when the agent asks to re-sync.
    public void SendFull(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (session.Sync)
        {
            SendFullLocked(session);
        }
    }

    // Asks every connected agent to check these credentials (all when none given) through its
    // own engine now; the reports arrive as CredentialCheck messages.
    public void RequestChecks(params string[] credentialIds)
    {
        var order = new CheckCredentialsOrder();
        order.CredentialIds.AddRange(credentialIds);
        foreach (var session in _sessions.Values)
        {
            session.Send(new LeaderMessage { CheckCredentials = order });
        }
    }

    // After a deployment changed what some app pins: every session gets the new pins as an
    // increment that does not move its credential revision.
    public void PublishPins()
    {
        foreach (var session in _sessions.Values)
        {
            lock (session.Sync)
            {
                if (session.LastSentRevision < 0)
                {
                    continue; // its full snapshot, with pins, is still to come
                }

                var set = Assignments.Incremental(session.LastSentRevision, session.LastSentRevision, null);
                set.Changes.AddRange(PinsFor(session).Select(Assignments.Pin));
                session.Send(new LeaderMessage { Assignments = set });
            }
        }
    }

    public void Dispose() => _credentials.Changed -= OnCredentialChanged;

    private void OnCredentialChanged(CredentialChange change)
    {
        // Built once per change, not once per session: one read and one decryption for all.
        Assignment? item = null;
        if (change.Removed)
        {
            item = Assignments.Remove(change.CredentialId);
        }
        else if (_credentials.PullCredential(change.CredentialId) is { } current)
        {
            item = Assignments.Update(current.Credential, current.Secret);
        }

        var increment = new LeaderMessage { Assignments = Assignments.Incremental(change.Revision - 1, change.Revision, item) };
        foreach (var session in _sessions.Values)
        {
            lock (session.Sync)
            {
                if (change.Revision <= session.LastSentRevision)
                {
                    continue; // already part of what this session was sent
                }

                if (session.LastSentRevision != change.Revision - 1)
                {
                    SendFullLocked(session);
                    continue;
                }

                // A push-only credential changes the revision but nothing the agent holds: the
                // empty increment keeps the agent's acknowledged revision in step. The message is
                // shared: gRPC serialises it per stream without changing it.
                session.Send(increment);
                session.LastSentRevision = change.Revision;
            }
        }
    }

    private void SendFullLocked(AgentSession session)
    {
        var (revision, credentials) = _credentials.PullSnapshot();
        var full = Assignments.Full(revision, credentials);
        full.Changes.AddRange(PinsFor(session).Select(Assignments.Pin));
        session.Send(new LeaderMessage { Assignments = full });
        session.LastSentRevision = revision;
    }

    private static partial class Log
    {
        [LoggerMessage(600, LogLevel.Information, "session {SessionId} opened for node {NodeId} ({Hostname})")]
        public static partial void Opened(ILogger logger, string nodeId, string hostname, string sessionId);

        [LoggerMessage(601, LogLevel.Information, "session {SessionId} of node {NodeId} closed")]
        public static partial void Closed(ILogger logger, string nodeId, string sessionId);

        [LoggerMessage(602, LogLevel.Information, "node {NodeId} opened a new session; ending {SessionId}")]
        public static partial void Replaced(ILogger logger, string nodeId, string sessionId);
    }
}
