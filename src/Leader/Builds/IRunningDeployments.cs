using Cluster.Leader.Storage;

namespace Cluster.Leader.Builds;

// What image housekeeping needs of the deployments. Deployments answers it
// (DeploymentOrchestrator), so Builds does not depend on Deployments (Deployments' build step
// uses Builds).
public interface IRunningDeployments
{
    // The images running deployments work with; housekeeping never removes them mid-way.
    IReadOnlyList<string> InFlightImages { get; }

    // Raised once a deployment has ended, with the app as it was when the deployment started.
    // Handlers run on the deployment's task and must not block.
    event Action<AppRecord>? Ended;
}
