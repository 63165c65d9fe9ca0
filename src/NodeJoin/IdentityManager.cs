using Cluster.Core.Docker;
using Cluster.Core.Security;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeJoin;

// Decides, before each session, which identity the node uses: the stored one while it is valid
// (for the CA the join token pins, when there is a token), a new one from Enrollment.Join when
// it is missing, unreadable, expired or from another CA. A certificate due for renewal is
// renewed with Enrollment.Renew, authenticated by the certificate itself (no join token); while
// that fails the current one stays in use, and renewal is retried at most every RenewalRetry.
//
// What the builder calls: construct IdentityStore(stateDir), JoinTokenSource(options),
// Enroller(options, store, time) and this, then `AcquireAsync(tokens.Current(), engineInfo, ct)`
// before each session and `LeaderChannel.Open(options, identity.CaFingerprint, identity.Certificate)`
// for the mutual-TLS channel; RunRenewalAsync beside the session keeps the certificate fresh.
internal sealed partial class IdentityManager(IdentityStore store, Enroller enroller, TimeProvider time, ILogger<IdentityManager> log)
{
    public static readonly TimeSpan RenewalRetry = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly Lock _lock = new();
    private DateTimeOffset _lastRenewalFailure = DateTimeOffset.MinValue;
    private string? _lastJoinReason;

    // True when the state dir holds a usable identity (for `join --check` and the status probe).
    public bool TryLoad(out NodeIdentity? identity, out IdentityVerdict verdict)
    {
        verdict = store.TryLoad(out identity, out var problem)
            ? IdentityRules.Evaluate(identity, null, time.GetUtcNow())
            : problem!;
        return verdict.IsUsable;
    }

    // token is null when the node has no join token: fine while the stored identity is usable.
    public async Task<NodeIdentity> AcquireAsync(ClusterToken? token, EngineInfo engine, CancellationToken cancellationToken)
    {
        var verdict = store.TryLoad(out var stored, out var problem)
            ? IdentityRules.Evaluate(stored, token?.CaFingerprint, time.GetUtcNow())
            : problem!;
        switch (verdict.Status)
        {
            case IdentityStatus.Valid:
                return stored!;
            case IdentityStatus.RenewalDue:
                return await TryRenewAsync(stored!, cancellationToken) ?? stored!;
            default:
                if (token is null)
                {
                    throw new SessionFailure(SessionFailureKind.NotJoined,
                        $"cannot join: {verdict.Reason}, and there is no join token; put the one from DATA_DIR/join.token on the leader in the join token file");
                }

                // Said once per reason: a join retried with backoff repeats only its failure.
                if (Interlocked.Exchange(ref _lastJoinReason, verdict.Reason) != verdict.Reason)
                {
                    Log.Joining(log, verdict.Reason);
                }

                var joined = await enroller.JoinAsync(token, engine, cancellationToken);
                _lastJoinReason = null;
                Log.Joined(log, joined.NodeId, joined.NotAfter);
                return joined;
        }
    }

    // A fresh identity, or null when renewal failed or failed less than RenewalRetry ago. A
    // refusal that means the node is out (removed) is thrown: the session must end.
    public async Task<NodeIdentity?> TryRenewAsync(NodeIdentity current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        lock (_lock)
        {
            if (time.GetUtcNow() - _lastRenewalFailure < RenewalRetry)
            {
                return null;
            }
        }

        try
        {
            var renewed = await enroller.RenewAsync(current, cancellationToken);
            Log.Renewed(log, renewed.NodeId, renewed.NotAfter);
            return renewed;
        }
        catch (SessionFailure e) when (e.Kind is not (SessionFailureKind.Removed or SessionFailureKind.Duplicate))
        {
            lock (_lock)
            {
                _lastRenewalFailure = time.GetUtcNow();
            }

            Log.RenewalFailed(log, e.Message, RenewalRetry.TotalMinutes);
            return null;
        }
    }

    // Beside a session: renews the certificate in the last third of its lifetime without
    // dropping the session; once a new one is stored, throws Reconnect so the next session
    // presents it.
    public async Task RunRenewalAsync(NodeIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        while (true)
        {
            var wait = identity.RenewAt - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < LongestWait ? wait : LongestWait, time, cancellationToken);
                continue;
            }

            if (await TryRenewAsync(identity, cancellationToken) is not null)
            {
                throw new SessionFailure(SessionFailureKind.Reconnect, "the node certificate was renewed; reconnecting with the new one");
            }

            await Task.Delay(RenewalRetry, time, cancellationToken);
        }
    }

    // The leader refused the certificate without saying the node was removed (it was replaced
    // by a newer join, or the leader's records were reset): forget the certificate, keep the
    // enrollment id, so the next session joins again if there is a join token.
    public void Forget(string reason)
    {
        Log.Forgetting(log, reason);
        store.Delete();
    }

    private static partial class Log
    {
        [LoggerMessage(1100, LogLevel.Information, "Joining the cluster: {Reason}")]
        public static partial void Joining(ILogger logger, string reason);

        [LoggerMessage(1101, LogLevel.Information, "Joined the cluster as node {NodeId}; certificate valid until {NotAfter:u}")]
        public static partial void Joined(ILogger logger, string nodeId, DateTimeOffset notAfter);

        [LoggerMessage(1102, LogLevel.Information, "Renewed the certificate of node {NodeId}; valid until {NotAfter:u}")]
        public static partial void Renewed(ILogger logger, string nodeId, DateTimeOffset notAfter);

        [LoggerMessage(1103, LogLevel.Warning, "Certificate renewal failed: {Reason}; still using the current certificate, next try in {Minutes} min")]
        public static partial void RenewalFailed(ILogger logger, string reason, double minutes);

        [LoggerMessage(1104, LogLevel.Warning, "Deleting this node's certificate; the next session joins again if a join token is given: {Reason}")]
        public static partial void Forgetting(ILogger logger, string reason);
    }
}
