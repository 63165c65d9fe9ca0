using Cluster.Leader.Deployments;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// Auto-Sync's deployments are the orchestrator's, like any other (build, resolve, pre-pull,
// pinned update, confirm).
public sealed class OrchestratorDeployer(DeploymentOrchestrator deployments) : IAutoSyncDeployer
{
    public (string Id, Task<DeploymentRecord> Done) Start(DeploymentRequest request)
    {
        var started = deployments.Start(request);
        return (started.Id, started.Done);
    }

    public bool IsRunning(string appId) => deployments.IsRunning(appId);
}
