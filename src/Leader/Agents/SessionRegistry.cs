using System.Collections.Concurrent;
using Cluster.Leader.Credentials;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// The live agent sessions. Credential changes reach every session the moment they commit: each
// session gets the increment from the revision it last received, or a full snapshot when its
// chain does not line up. A node is ready while its session is open and its last heartbeat is
// younger than 3 heartbeat periods.
//
// A (re)connecting agent says which revision it holds (Hello.held_revision); when the leader
// still has every change since then in its recent history, it sends only those as one
// INCREMENTAL set, else a FULL snapshot (after a leader restart the history is empty, so only an
// agent already at the current revision is spared the snapshot).
//
// Two agents presenting one node identity (a copied state dir) would replace each other's
// sessions forever; a node whose sessions replaced each other more than ReplaceBurst times within
// ReplaceWindow is refused new sessions (DuplicateSession) for that window, and it is logged once.
public sealed partial class SessionRegistry
{
    // How many credential changes are kept to answer held_revision with an increment.
    public const int HistoryLength = 512;

    public const int ReplaceBurst = 5;

    public static readonly TimeSpan ReplaceWindow = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, AgentSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<DateTime>> _replacements = new(StringComparer.Ordinal);
    private readonly LinkedList<CredentialChange> _history = new();
    private readonly Lock _historyLock = new();
    private readonly CredentialService _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionRegistry> _log;

    private readonly IPinSource _pins;

    public SessionRegistry(CredentialService credentials, IPinSource pins, AgentOptions options, TimeProvider time, ILogger<SessionRegistry> log)
    {
        _pins = pins;
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(options);
        _credentials = credentials;
        _time = time;
        _log = log;
        HeartbeatPeriod = options.HeartbeatPeriod;
    }

    public TimeSpan HeartbeatPeriod { get; }

    public TimeSpan DownAfter => HeartbeatPeriod * 3;

    public IReadOnlyCollection<AgentSession> Live => [.. _sessions.Values];

    public AgentSession? Find(string nodeId) => _sessions.TryGetValue(nodeId, out var s) ? s : null;

    public bool IsReady(string nodeId) =>
        _sessions.TryGetValue(nodeId, out var s) && _time.GetUtcNow().UtcDateTime - s.LastHeartbeat < DownAfter;

    // A session is open for the node (ready or not yet timed out).
    public bool IsLive(string nodeId) => _sessions.ContainsKey(nodeId);

    // Registers a new session for the node, ending any older one; refused (false) while the
    // node's sessions keep replacing each other (two agents, one identity).
    public bool TryOpen(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = _time.GetUtcNow().UtcDateTime;
        if (_sessions.ContainsKey(session.NodeId))
        {
            var times = _replacements.GetOrAdd(session.NodeId, _ => []);
            lock (times)
            {
                times.RemoveAll(t => now - t > ReplaceWindow);
                if (times.Count >= ReplaceBurst)
                {
                    if (times.Count == ReplaceBurst)
                    {
                        times.Add(now); // marks "reported" for this window
                        Log.DuplicateSessions(_log, session.NodeId, ReplaceBurst, ReplaceWindow.TotalSeconds);
                    }

                    return false;
                }

                times.Add(now);
            }
        }

        Open(session);
        return true;
    }

    private void Open(AgentSession session)
    {
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

    // Sends the complete current state. Used when the agent asks to re-sync.
    public void SendFull(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (session.Sync)
        {
            SendFullLocked(session);
        }
    }

    // The first set of a session: the changes since the revision the agent holds when the leader
    // still has them all, else the complete state. Pins always come along: they have no revision.
    public void SendInitial(AgentSession session, long heldRevision)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (session.Sync)
        {
            var current = _credentials.CurrentRevision;
            var increment = heldRevision > 0 ? IncrementSince(heldRevision, current) : null;
            if (increment is null)
            {
                SendFullLocked(session);
                return;
            }

            increment.Changes.AddRange(_pins.PinsFor(session).Select(Assignments.Pin));
            // The agent already holds every credential the history does not mention; a check
            // report of those is as legitimate as one of the sent ones.
            foreach (var (credential, _) in _credentials.PullSnapshot().Credentials)
            {
                session.SentCredentials.Add(credential.Id);
            }

            if (Send(session, increment))
            {
                session.LastSentRevision = current;
                Log.Incremental(_log, session.NodeId, heldRevision, current, increment.Changes.Count);
            }
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
                set.Changes.AddRange(_pins.PinsFor(session).Select(Assignments.Pin));
                session.Send(new LeaderMessage { Assignments = set });
            }
        }
    }

    // Null when some change after heldRevision is no longer in the history (or heldRevision is
    // ahead of the leader: a leader whose database was replaced).
    private AssignmentSet? IncrementSince(long heldRevision, long current)
    {
        if (heldRevision > current)
        {
            return null;
        }

        List<CredentialChange> changes;
        lock (_historyLock)
        {
            changes = _history.Where(c => c.Revision > heldRevision).ToList();
        }

        // Every revision in (held, current] must be there, or something is missing.
        if (changes.Count != current - heldRevision || changes.Select(c => c.Revision).Distinct().Count() != changes.Count)
        {
            return null;
        }

        var set = Assignments.Incremental(heldRevision, current, null);
        foreach (var id in changes.Select(c => c.CredentialId).Distinct(StringComparer.Ordinal))
        {
            var last = changes.Last(c => c.CredentialId == id);
            if (last.Removed)
            {
                set.Changes.Add(Assignments.Remove(id));
            }
            else if (_credentials.PullCredential(id) is { } now)
            {
                set.Changes.Add(Assignments.Update(now.Credential, now.Secret));
            }
            else
            {
                // Removed since, or push-only (never sent to agents): make sure the agent drops it.
                set.Changes.Add(Assignments.Remove(id));
            }
        }

        return set;
    }

    private static bool Send(AgentSession session, AssignmentSet set)
    {
        if (!session.Send(new LeaderMessage { Assignments = set }))
        {
            return false;
        }

        session.Track(set);
        return true;
    }

    // A credential change that committed: kept in the history (for held_revision) and sent to
    // every live session. The composition root wires CredentialService.Changed here when the
    // leader starts (Hosting/LeaderWiring).
    public void OnCredentialChanged(CredentialChange change)
    {
        lock (_historyLock)
        {
            _history.AddLast(change);
            while (_history.Count > HistoryLength)
            {
                _history.RemoveFirst();
            }
        }

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
                if (session.Send(increment))
                {
                    session.Track(increment.Assignments);
                    session.LastSentRevision = change.Revision;
                }
            }
        }
    }

    private void SendFullLocked(AgentSession session)
    {
        var (revision, credentials) = _credentials.PullSnapshot();
        var full = Assignments.Full(revision, credentials);
        full.Changes.AddRange(_pins.PinsFor(session).Select(Assignments.Pin));
        if (Send(session, full))
        {
            session.LastSentRevision = revision;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(600, LogLevel.Information, "session {SessionId} opened for node {NodeId} ({Hostname})")]
        public static partial void Opened(ILogger logger, string nodeId, string hostname, string sessionId);

        [LoggerMessage(601, LogLevel.Information, "session {SessionId} of node {NodeId} closed")]
        public static partial void Closed(ILogger logger, string nodeId, string sessionId);

        [LoggerMessage(602, LogLevel.Information, "node {NodeId} opened a new session; ending {SessionId}")]
        public static partial void Replaced(ILogger logger, string nodeId, string sessionId);

        [LoggerMessage(603, LogLevel.Error, "node {NodeId}: sessions replaced each other {Count} times within {Seconds} s: two agents present this node's identity (a copied state dir?); refusing new sessions of this node for that long")]
        public static partial void DuplicateSessions(ILogger logger, string nodeId, int count, double seconds);

        [LoggerMessage(604, LogLevel.Debug, "node {NodeId} holds revision {Held}: sent the changes up to {Current} ({Count} item(s)) instead of a full set")]
        public static partial void Incremental(ILogger logger, string nodeId, long held, long current, int count);
    }
}
