using Cluster.Leader.ClusterConfig;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.ClusterAdmin over ClusterService.
public sealed class ClusterAdminApi(ClusterService cluster, Builds.BuildTopology builds, Deployments.LocalImageMigrator migrations) : ClusterAdmin.ClusterAdminBase
{
    public override async Task<ClusterInfo> GetCluster(GetClusterRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var info = ToProto(await cluster.GetAsync(context.CancellationToken));
        // builds: whether built images need the registry, and which apps cannot move.
        var status = await builds.StatusAsync(context.CancellationToken);
        info.RegistryNeeded = status.RegistryNeeded;
        info.AppsCannotMove.AddRange(status.AppsCannotMove);
        info.Migration = Deployments.MigrationNote.Of(await migrations.DescribeAsync(context.CancellationToken));
        return info;
    }

    public override async Task<ClusterInfo> SetBuildRegistry(SetBuildRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return ToProto(await cluster.SetBuildRegistryAsync(request.Name, request.Namespace, AdminAuthInterceptor.ActorOf(context), context.CancellationToken));
    }

    public override Task<RotateJoinTokenResponse> RotateJoinToken(RotateJoinTokenRequest request, ServerCallContext context) =>
        Task.FromResult(new RotateJoinTokenResponse { JoinToken = cluster.RotateJoinToken(AdminAuthInterceptor.ActorOf(context)) });

    public override Task<RotateAdminTokenResponse> RotateAdminToken(RotateAdminTokenRequest request, ServerCallContext context) =>
        Task.FromResult(new RotateAdminTokenResponse { AdminToken = cluster.RotateAdminToken(AdminAuthInterceptor.ActorOf(context)) });

    private static ClusterInfo ToProto(ClusterService.Info info) => new()
    {
        Nodes = (uint)info.Nodes,
        Workers = (uint)info.Workers,
        BuildRegistry = info.BuildRegistry ?? "",
        BuildNamespace = info.BuildNamespace ?? "",
        Mode = info.Mode,
    };
}
