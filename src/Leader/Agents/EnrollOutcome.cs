using Cluster.Leader.Storage;

namespace Cluster.Leader.Agents;

// What NodeStore decided about an enrollment or a swarm binding: the node, or a refusal the
// node daemon recognises (NodeRefusal) with the one line an operator needs.
public sealed record EnrollOutcome(NodeRecord? Node, string? Refusal, string Detail, string? RefusedNodeId)
{
    public static EnrollOutcome Enrolled(NodeRecord node) => new(node, null, "", null);

    public static EnrollOutcome Refused(string refusal, string detail, string? nodeId) => new(null, refusal, detail, nodeId);

    public Operations.OperationException ToException() => NodeRefusal.Create(Refusal!, Detail, RefusedNodeId);
}
