using System.Collections.Concurrent;
using Cluster.Leader.Agents;

namespace Cluster.Leader.Builds;

// The live builder sessions, one per builder node. A newer session of the same node replaces
// the older one. Closing a session fails the jobs still running on it.
public sealed partial class BuilderRegistry(ILogger<BuilderRegistry> log) : IBuilderSessions
{
    private readonly ConcurrentDictionary<string, BuilderConnection> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _reserve = new();

    public IReadOnlyCollection<BuilderConnection> Live => [.. _sessions.Values];

    public bool ShuttingDown { get; private set; }

    public BuilderConnection? Find(string nodeId) => _sessions.TryGetValue(nodeId, out var s) ? s : null;

    (string Hostname, DateTime LastHeartbeat)? IBuilderSessions.Live(string nodeId) => Find(nodeId) is { } s ? (s.Hostname, s.LastHeartbeat) : null;

    void IBuilderSessions.Close(string nodeId) => Find(nodeId)?.Close();

    public void Open(BuilderConnection session)
    {
        ArgumentNullException.ThrowIfNull(session);
        BuilderConnection? previous = null;
        _sessions.AddOrUpdate(session.NodeId, session, (_, old) =>
        {
            previous = old;
            return session;
        });
        previous?.Replace();
        Log.Opened(log, session.NodeId, session.Hostname, session.Parallelism);
    }

    public void Close(BuilderConnection session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _sessions.TryRemove(new KeyValuePair<string, BuilderConnection>(session.NodeId, session));
        session.Close();
        foreach (var job in session.Jobs.Values)
        {
            job.Fail("builder", $"the build server {session.Hostname} disconnected during the build; nothing was deployed. Check that cluster-builder runs there and deploy again");
        }

        session.Jobs.Clear();
        foreach (var check in session.HeadChecks.Values)
        {
            check.TrySetResult(new Protos.Build.V1.GitHeadResult { Error = $"the build server {session.Hostname} disconnected during the check" });
        }

        session.HeadChecks.Clear();
        Log.Closed(log, session.NodeId, session.Hostname);
    }

    public void CloseAll()
    {
        ShuttingDown = true;
        foreach (var session in _sessions.Values)
        {
            session.Close();
        }
    }

    // Takes a slot on the least busy eligible builder and sends it the job; null when every
    // eligible builder is full.
    public BuilderConnection? TrySend(PendingBuild job, Func<BuilderConnection, bool> eligible)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(eligible);
        lock (_reserve)
        {
            var builder = _sessions.Values.Where(b => b.HasCapacity && eligible(b)).OrderBy(b => b.Jobs.Count).ThenBy(b => b.Hostname, StringComparer.Ordinal).FirstOrDefault();
            if (builder is null || !builder.Jobs.TryAdd(job.Job.JobId, job))
            {
                return null;
            }

            builder.Send(new Protos.Build.V1.BuildOrder { Job = job.Job });
            return builder;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(800, LogLevel.Information, "build server {NodeId} ({Hostname}) connected, {Parallelism} job(s) at a time")]
        public static partial void Opened(ILogger logger, string nodeId, string hostname, int parallelism);

        [LoggerMessage(801, LogLevel.Information, "build server {NodeId} ({Hostname}) disconnected")]
        public static partial void Closed(ILogger logger, string nodeId, string hostname);
    }
}
