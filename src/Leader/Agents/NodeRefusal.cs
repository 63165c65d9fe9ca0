using Cluster.Leader.Operations;

namespace Cluster.Leader.Agents;

// Refusals a node daemon must recognise without reading the text (join.proto): a
// PERMISSION_DENIED status with the trailer "cluster-refusal" holding one of these reasons, and
// "cluster-node" with the node id when there is one (the OperationException's Facts, which the
// API layer sends as trailers). The daemon side reads them in Cluster.NodeJoin.Refusal.
public static class NodeRefusal
{
    public const string Removed = "removed";
    public const string SwarmNodeTaken = "swarm-node-taken";
    public const string SwarmNodeUnknown = "swarm-node-unknown";
    public const string SwarmNodeMismatch = "swarm-node-mismatch";
    public const string DuplicateSession = "duplicate-session";

    public static OperationException Create(string reason, string detail, string? nodeId = null)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal) { ["cluster-refusal"] = reason };
        if (nodeId is { Length: > 0 })
        {
            facts["cluster-node"] = nodeId;
        }

        return new OperationException(OperationError.PermissionDenied, detail) { Facts = facts };
    }
}
