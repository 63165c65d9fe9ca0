using Grpc.Core;

namespace Cluster.NodeJoin;

// Turns the leader's recognisable refusals (Refusal) into the failures the daemon acts on, with
// the one line the operator reads. Null for any other status.
internal static class RefusalFailure
{
    public static SessionFailure? From(RpcException e, string leader)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Refusal.Of(e) switch
        {
            Refusal.Removed => new(SessionFailureKind.Removed,
                $"this node was removed from the cluster; ask an admin to run `clusterctl node readmit {NodeOf(e)}` on the leader ({leader}), then restart this daemon with the join token", e),
            Refusal.SwarmNodeTaken or Refusal.DuplicateSession => new(SessionFailureKind.Duplicate,
                $"another agent already holds this node at the leader {leader} ({e.Status.Detail}); run one agent per engine, and give a cloned host its own state dir", e),
            Refusal.SwarmNodeMismatch => new(SessionFailureKind.Duplicate,
                $"the leader {leader} refused this node: {e.Status.Detail}", e),
            Refusal.SwarmNodeUnknown => new(SessionFailureKind.JoinRefused,
                $"the leader {leader} refused this node: {e.Status.Detail}", e),
            _ => null,
        };
    }

    // The leader names the removed node in the trailer "cluster-node" (id), so the one line can
    // say exactly what to readmit.
    private static string NodeOf(RpcException e) => e.Trailers.GetValue("cluster-node") is { Length: > 0 } id ? id : "NODE";
}
