using Cluster.Leader.Deployments;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// Starts a deployment through the normal path (DeploymentOrchestrator): its id and its end.
// OperationException (FailedPrecondition) while another deployment of the app runs.
public interface IAutoSyncDeployer
{
    (string Id, Task<DeploymentRecord> Done) Start(DeploymentRequest request);
}
