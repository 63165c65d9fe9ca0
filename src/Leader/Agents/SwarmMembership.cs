using Cluster.Core.Docker;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Agents;

// The swarm's node ids as the leader's own engine (a manager) lists them: the authority a node's
// claimed swarm node id is checked against at enrollment and at binding. Deny by default: when
// the list cannot be read, the claim cannot be checked and the call is refused as UNAVAILABLE
// (the node retries with backoff), never accepted unchecked.
public sealed class SwarmMembership(DockerEngine engine, NodeStore nodes)
{
    public async Task<IReadOnlyCollection<string>> NodeIdsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var list = await engine.ListSwarmNodesAsync(cancellationToken);
            return list.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (DockerOperationException e)
        {
            throw new OperationException(OperationError.Unavailable,
                $"the leader cannot read the swarm's node list from its engine ({e.Detail}), so it cannot check this node's swarm node id; retry later");
        }
    }

    // The swarm node a session's hello claims, for agents and builders alike: no claim (the
    // engine is in no swarm now) or the swarm node bound at enrollment passes as is; any other
    // is bound only where NodeStore.BindSwarm allows it (the node had none, or its bound swarm
    // node left the swarm; the claimed one is in the swarm; no removed or live node of the same
    // role holds it), else refused. So what a session says it is, and where the leader routes
    // work for a swarm node (registry-less builds, pre-pulls), is always the bound swarm node.
    // isLive: whether a node id of this role has a live session.
    public async Task<EnrollOutcome> BindSessionAsync(NodeRecord node, string claimed, Func<string, bool> isLive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(claimed);
        if (claimed.Length == 0 || claimed == node.SwarmNodeId)
        {
            return EnrollOutcome.Enrolled(node);
        }

        return nodes.BindSwarm(node.Id, claimed, await NodeIdsAsync(cancellationToken), id => id != node.Id && isLive(id));
    }
}
