using Cluster.Leader.Agents;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Nodes over NodeService.
public sealed class NodesApi(NodeService nodes, Deployments.LocalImageMigrator migrations) : Nodes.NodesBase
{
    public override async Task<ListNodesResponse> ListNodes(ListNodesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = new ListNodesResponse();
        // Builds: the apps whose registry-less image only one node holds, on that node's entry.
        var plans = await DescribeMigrationsAsync(context.CancellationToken);
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

            if (n.Role != "builder" && n.SwarmNodeId.Length > 0)
            {
                node.AppsCannotMove.AddRange(plans.Where(p => migrations.HolderOf(p.App) == n.SwarmNodeId).Select(p => p.App.Name));
            }

            response.Nodes.Add(node);
        }

        response.Migration = Deployments.MigrationNote.Of(plans);
        return response;
    }

    // `node list` still answers when the swarm cannot be read: the migration view is then left out.
    private async Task<IReadOnlyList<Deployments.MigrationPlanner.Plan>> DescribeMigrationsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await migrations.DescribeAsync(cancellationToken);
        }
        catch (Core.Docker.DockerOperationException)
        {
            return [];
        }
    }

    public override Task<RemoveNodeResponse> RemoveNode(RemoveNodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        nodes.Remove(request.Id, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new RemoveNodeResponse());
    }
}
