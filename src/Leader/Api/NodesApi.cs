using Cluster.Leader.Agents;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Nodes over NodeService.
public sealed class NodesApi(NodeService nodes) : Nodes.NodesBase
{
    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = new ListNodesResponse();
        foreach (var n in await nodes.ListAsync(context.CancellationToken))
        {
            var node = new Node
            {
                Id = n.Id,
                Hostname = n.Hostname,
                Role = n.Role,
                SwarmNodeId = n.SwarmNodeId,
                Status = n.Status,
                CredentialRevision = (ulong)n.CredentialRevision,
                EngineVersion = n.EngineVersion,
                Architecture = n.Architecture,
            };
            if (n.LastSeen is { } seen)
            {
                node.LastSeen = Timestamp.FromDateTime(DateTime.SpecifyKind(seen, DateTimeKind.Utc));
            }

            response.Nodes.Add(node);
        }

        return response;
    }

    public override Task<RemoveNodeResponse> RemoveNode(RemoveNodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        nodes.Remove(request.Id, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new RemoveNodeResponse());
    }
}
