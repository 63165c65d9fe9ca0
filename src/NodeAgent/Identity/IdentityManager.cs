using Cluster.Core.Docker;
using Cluster.Core.Security;
using Cluster.NodeAgent.Session;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Identity;

// Decides, before each session, which identity the node uses: the stored one while it is valid
// for the CA the token pins, a new one from Enrollment.Join when it is missing, unreadable,
// expired or from another CA. A certificate due for renewal is renewed by joining again; while
// that fails the current one stays in use (a rotated join token must not cut off a node whose
// certificate is still good), and renewal is retried at most every RenewalRetry.
internal sealed partial class IdentityManager(IdentityStore store, Enroller enroller, TimeProvider time, ILogger<IdentityManager> log)
{
    public static readonly TimeSpan RenewalRetry = TimeSpan.FromMinutes(10);

    private readonly Lock _lock = new();
    private DateTimeOffset _lastRenewalFailure = DateTimeOffset.MinValue;
    private string? _lastJoinReason;

    public async Task<NodeIdentity> AcquireAsync(ClusterToken token, EngineInfo engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var verdict = store.TryLoad(out var stored, out var problem)
            ? IdentityRules.Evaluate(stored, token.CaFingerprint, time.GetUtcNow())
            : problem!;
        switch (verdict.Status)
        {
            case IdentityStatus.Valid:
                return stored!;
            case IdentityStatus.RenewalDue:
                return await TryRenewAsync(token, engine, cancellationToken) ?? stored!;
            default:
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

    // A fresh identity, or null when renewal failed or failed less than RenewalRetry ago.
    public async Task<NodeIdentity?> TryRenewAsync(ClusterToken token, EngineInfo engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        lock (_lock)
        {
            if (time.GetUtcNow() - _lastRenewalFailure < RenewalRetry)
            {
                return null;
            }
        }

        try
        {
            var renewed = await enroller.JoinAsync(token, engine, cancellationToken);
            Log.Renewed(log, renewed.NodeId, renewed.NotAfter);
            return renewed;
        }
        catch (SessionFailure e)
        {
            lock (_lock)
            {
                _lastRenewalFailure = time.GetUtcNow();
            }

            Log.RenewalFailed(log, e.Message, RenewalRetry.TotalMinutes);
            return null;
        }
    }

    // The leader refused the certificate (node removed or revoked): forget it, so the next
    // session joins again with the join token.
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

        [LoggerMessage(1104, LogLevel.Warning, "Deleting this node's identity and joining again with the join token: {Reason}")]
        public static partial void Forgetting(ILogger logger, string reason);
    }
}
