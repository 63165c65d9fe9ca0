using Cluster.Core.Docker;
using Grpc.Core;

namespace Cluster.Leader.Agents;

// The swarm's node ids as the leader's own engine (a manager) lists them: the authority a node's
// claimed swarm node id is checked against at enrollment and at binding. Deny by default: when
// the list cannot be read, the claim cannot be checked and the call is refused as UNAVAILABLE
// (the node retries with backoff), never accepted unchecked.
public sealed class SwarmMembership(DockerEngine engine)
{
    public async Task<IReadOnlyCollection<string>> NodeIdsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var nodes = await engine.ListSwarmNodesAsync(cancellationToken);
            return nodes.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        }
        catch (DockerOperationException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable,
                $"the leader cannot read the swarm's node list from its engine ({e.Detail}), so it cannot check this node's swarm node id; retry later"));
        }
    }
}
