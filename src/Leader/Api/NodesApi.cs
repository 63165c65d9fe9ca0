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
        // One read of the swarm's node list serves both views (issue #14: `node list` is
        // scripted in loops, each engine call is felt).
        var swarm = await nodes.SwarmAsync(context.CancellationToken);
        // Builds: the apps whose registry-less image only one node holds, on that node's entry.
        var plans = swarm is null ? [] : await DescribeMigrationsAsync(swarm, context.CancellationToken);
        foreach (var n in nodes.List(swarm ?? []))
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

    // `node list` still answers when the swarm cannot be read: the migration view is then left out
    // (the leader's own swarm node id is read once, on the first call with a registry-less app).
    private async Task<IReadOnlyList<Deployments.MigrationPlanner.Plan>> DescribeMigrationsAsync(IReadOnlyList<Core.Docker.SwarmNode> swarm, CancellationToken cancellationToken)
    {
        try
        {
            return await migrations.DescribeAsync(swarm, cancellationToken);
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
