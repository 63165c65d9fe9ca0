using Grpc.Core;

namespace Cluster.Leader.Agents;

// Refusals a node daemon must recognise without reading the text (join.proto): the status
// carries the trailer "cluster-refusal" with one of these reasons, and "cluster-node" with the
// node id when there is one. The daemon side reads them in Cluster.NodeJoin.Refusal.
public static class NodeRefusal
{
    public const string Removed = "removed";
    public const string SwarmNodeTaken = "swarm-node-taken";
    public const string SwarmNodeUnknown = "swarm-node-unknown";
    public const string SwarmNodeMismatch = "swarm-node-mismatch";
    public const string DuplicateSession = "duplicate-session";

    public static RpcException Create(string reason, string detail, string? nodeId = null)
    {
        var trailers = new Metadata { { "cluster-refusal", reason } };
        if (nodeId is { Length: > 0 })
        {
            trailers.Add("cluster-node", nodeId);
        }

        return new RpcException(new Status(StatusCode.PermissionDenied, detail), trailers);
    }
}
