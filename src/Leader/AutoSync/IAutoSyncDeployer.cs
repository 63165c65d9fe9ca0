using Cluster.Leader.Deployments;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// Starts a deployment through the normal path (DeploymentOrchestrator): its id and its end.
// OperationException (FailedPrecondition) while another deployment of the app runs.
public interface IAutoSyncDeployer
{
    (string Id, Task<DeploymentRecord> Done) Start(DeploymentRequest request);

    // Whether a deployment of the app runs on this leader now. The leader's own knowledge, not a
    // record's `running` status: a record whose final save failed stays `running` in the database
    // after its deployment ended, and must not hold Auto-Sync back.
    bool IsRunning(string appId);
}
