using Cluster.Hosting;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeJoin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Session;

// The agent's main loop: one iteration is one session. Whatever ends a session (stream error,
// leader restart, network cut, engine restart, a refused identity) is logged in one line that
// says what to do, and the next session starts after a jittered exponential backoff that
// resets once a session is established. Stops only when the host stops, with two exceptions
// that no retry can fix: a REMOVED node says so in one line and pauses (no further calls to the
// leader) until the daemon is restarted after an admin ran `clusterctl node readmit`; a
// DUPLICATE (another agent holds this node) is said once and retried only every DuplicateRetry,
// so two agents never replace each other's sessions in a loop.
internal sealed partial class SessionService(
    ISessionRunner session,
    SessionBackoff backoff,
    AgentOptions options,
    IdentityStore identities,
    TimeProvider time,
    ILogger<SessionService> log) : BackgroundService
{
    public static readonly TimeSpan DuplicateRetry = TimeSpan.FromMinutes(1);

    private readonly NodeStatusFile _status = new(options.StateDir);
    private string? _lastDuplicate;

    // Set once the leader said this node was removed; the status probe reads it.
    public bool Removed { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(log, options.Leader, options.StateDir);
        try
        {
            while (true)
            {
                string reason;
                var kind = SessionFailureKind.Other;
                try
                {
                    await session.RunAsync(Established, stoppingToken);
                    reason = "the session ended";
                }
                catch (SessionFailure failure)
                {
                    (kind, reason) = (failure.Kind, failure.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    reason = "unexpected failure: " + DaemonCommandLine.Describe(e);
                }

                if (kind == SessionFailureKind.Removed)
                {
                    Removed = true;
                    _status.Write(NodeStatusFile.Removed, NodeId(), reason, time.GetUtcNow());
                    Log.Removed(log, reason);
                    await Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken);
                }

                if (kind == SessionFailureKind.Duplicate)
                {
                    _status.Write(NodeStatusFile.Duplicate, NodeId(), reason, time.GetUtcNow());
                    if (!string.Equals(Interlocked.Exchange(ref _lastDuplicate, reason), reason, StringComparison.Ordinal))
                    {
                        Log.Duplicate(log, reason, DuplicateRetry.TotalSeconds);
                    }

                    await Task.Delay(DuplicateRetry, time, stoppingToken);
                    continue;
                }

                _lastDuplicate = null;
                if (kind != SessionFailureKind.Reconnect)
                {
                    _status.Write(NodeStatusFile.Retrying, NodeId(), reason, time.GetUtcNow());
                }

                var delay = backoff.Next();
                Report(kind, reason, delay);
                await Task.Delay(delay, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Log.Stopping(log);
        }
    }

    private void Established()
    {
        backoff.Reset();
        _status.Write(NodeStatusFile.Connected, NodeId(), "", time.GetUtcNow());
    }

    private string NodeId()
    {
        try
        {
            return File.Exists(identities.NodeIdFile) ? File.ReadAllText(identities.NodeIdFile).Trim() : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private void Report(SessionFailureKind kind, string reason, TimeSpan delay)
    {
        var ms = Math.Round(delay.TotalMilliseconds);
        switch (kind)
        {
            case SessionFailureKind.IdentityRejected:
                Log.IdentityRejected(log, reason, ms);
                break;
            case SessionFailureKind.JoinTokenRejected or SessionFailureKind.JoinRefused or SessionFailureKind.TokenInvalid or SessionFailureKind.NotJoined:
                Log.JoinFailed(log, reason, ms);
                break;
            case SessionFailureKind.LeaderUntrusted:
                Log.LeaderUntrusted(log, reason, ms);
                break;
            case SessionFailureKind.Reconnect:
                Log.Reconnecting(log, reason);
                break;
            case SessionFailureKind.Engine:
                Log.EngineFailed(log, reason, ms);
                break;
            default:
                Log.SessionEnded(log, reason, ms);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1000, LogLevel.Information, "cluster-agent starting: leader {Leader}, state in {StateDir}")]
        public static partial void Starting(ILogger logger, string leader, string stateDir);

        [LoggerMessage(1001, LogLevel.Information, "cluster-agent stopping")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(1002, LogLevel.Warning, "No session: {Reason}; next try in {Milliseconds} ms")]
        public static partial void SessionEnded(ILogger logger, string reason, double milliseconds);

        [LoggerMessage(1003, LogLevel.Error, "Cannot join the cluster: {Reason}; next try in {Milliseconds} ms")]
        public static partial void JoinFailed(ILogger logger, string reason, double milliseconds);

        [LoggerMessage(1004, LogLevel.Error, "Not connecting: {Reason}; next try in {Milliseconds} ms")]
        public static partial void LeaderUntrusted(ILogger logger, string reason, double milliseconds);

        [LoggerMessage(1005, LogLevel.Error, "Identity refused: {Reason}; deleted it, joining again with the join token in {Milliseconds} ms")]
        public static partial void IdentityRejected(ILogger logger, string reason, double milliseconds);

        [LoggerMessage(1006, LogLevel.Information, "Reconnecting: {Reason}")]
        public static partial void Reconnecting(ILogger logger, string reason);

        [LoggerMessage(1007, LogLevel.Warning, "Session not started: {Reason}; next try in {Milliseconds} ms")]
        public static partial void EngineFailed(ILogger logger, string reason, double milliseconds);

        // The whole message is the one line the operator needs; nothing else is logged after it.
        [LoggerMessage(1008, LogLevel.Critical, "{Reason}; not trying again until restarted")]
        public static partial void Removed(ILogger logger, string reason);

        [LoggerMessage(1009, LogLevel.Error, "Not connecting: {Reason}; trying again every {Seconds} s without repeating this")]
        public static partial void Duplicate(ILogger logger, string reason, double seconds);
    }
}
