using Grpc.Core;

namespace Cluster.NodeJoin;

// The leader's machine-readable reason for a PERMISSION_DENIED (trailer "cluster-refusal", see
// join.proto): the joiner acts on it without parsing the human text, which may change.
internal static class Refusal
{
    public const string TrailerName = "cluster-refusal";

    // An admin removed this node; it stays out until `clusterctl node readmit`.
    public const string Removed = "removed";

    // Another live agent is bound to the swarm node this one claims: a real duplicate.
    public const string SwarmNodeTaken = "swarm-node-taken";

    // The claimed swarm node is not in the leader's swarm.
    public const string SwarmNodeUnknown = "swarm-node-unknown";

    // This certificate is bound to another swarm node than the one the engine reports (a state
    // dir copied from another node).
    public const string SwarmNodeMismatch = "swarm-node-mismatch";

    // Another session of the same node is live and healthy: two agents share one identity.
    public const string DuplicateSession = "duplicate-session";

    public static string? Of(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Trailers.GetValue(TrailerName);
    }
}
