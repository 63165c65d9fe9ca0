using Cluster.Core.Images;
using Cluster.Leader.Apps;
using Cluster.Leader.Deployments;
using Cluster.Leader.Operations;
using Cluster.Leader.Sources;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Deployments over DeploymentOrchestrator. Deploy streams the deployment's
// events; the deployment itself belongs to the leader and goes on if the caller disconnects.
// With upload_id, Deploy claims that uploaded folder (SourceUploadStore) for the deployment; if
// the deployment does not start, the upload goes back to wait for another try.
public sealed class DeploymentsApi(DeploymentOrchestrator deployments, AppService apps, SourceUploadStore uploads) : Protos.Admin.V1.Deployments.DeploymentsBase
{
    public override async Task Deploy(DeployRequest request, IServerStreamWriter<DeployEvent> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        // Checked here, whole string, before anything is started: a tag with a newline or a
        // space never reaches the resolver, the journal or a service spec.
        if (request.Tag.Length > 0 && !ImageReference.IsValidTag(request.Tag))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, AppService.InvalidTag(request.Tag)));
        }

        SourceUpload? upload = null;
        if (request.UploadId.Length > 0)
        {
            var app = apps.Get(request.App);
            if (SourceRules.UploadRefusal(app) is { } refusal)
            {
                throw new OperationException(OperationError.FailedPrecondition, refusal);
            }

            upload = uploads.Claim(app, request.UploadId);
        }

        StartedDeployment started;
        try
        {
            started = deployments.Start(new DeploymentRequest(request.App, request.Tag, AdminAuthInterceptor.ActorOf(context)) { Upload = upload });
        }
        catch
        {
            if (upload is not null)
            {
                uploads.Return(upload);
            }

            throw;
        }

        var events = started.Events;
        await foreach (var e in events.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(e, context.CancellationToken);
        }
    }

    public override Task<ListDeploymentsResponse> ListDeployments(ListDeploymentsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = new ListDeploymentsResponse();
        response.Deployments.AddRange(deployments.List(request.App).Select(DeploymentProto.ToProto));
        return Task.FromResult(response);
    }

    public override Task<Deployment> GetDeployment(GetDeploymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(DeploymentProto.ToProto(deployments.Get(request.Id)));
    }

    // The cancel belongs to the deployment, not to this call: a caller that gives up waiting
    // (its deadline) leaves the deployment stopping all the same.
    public override async Task<Deployment> CancelDeployment(CancelDeploymentRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(request.Id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a deployment id is required (`clusterctl deployment list APP` shows them)"));
        }

        var record = await deployments.CancelAsync(request.Id.Trim(), AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return DeploymentProto.ToProto(record);
    }
}
