using Cluster.Leader.Agents;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.NodeAdmission over NodeService (readmitting removed nodes).
public sealed class NodeAdmissionApi(NodeService nodes) : NodeAdmission.NodeAdmissionBase
{
    public override Task<ReadmitNodeResponse> ReadmitNode(ReadmitNodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var node = nodes.Readmit(request.Id, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new ReadmitNodeResponse { NodeId = node.Id, Hostname = node.Hostname, SwarmNodeId = node.SwarmNodeId });
    }
}
