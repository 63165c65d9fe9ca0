using Cluster.Leader.Storage;

namespace Cluster.Leader.Deployments;

// What a step tells the pipeline: go on with the next step, stop because the deployment is
// complete (e.g. nothing to change), or stop because it failed (Status says how: failed, or
// rolled-back once the service was put back).
public sealed record StepOutcome
{
    private StepOutcome(bool proceed, DeploymentStatus status, string message)
    {
        Proceed = proceed;
        Status = status;
        Message = message;
    }

    public static StepOutcome Next { get; } = new(true, DeploymentStatus.Running, "");

    public bool Proceed { get; }

    // Running while the deployment goes on; Succeeded, Failed or RolledBack when it stops here.
    public DeploymentStatus Status { get; }

    // The error, or for Done the last log line.
    public string Message { get; }

    public static StepOutcome Done(string message) => new(false, DeploymentStatus.Succeeded, message);

    public static StepOutcome Failed(string error) => new(false, DeploymentStatus.Failed, error);

    public static StepOutcome RolledBack(string error) => new(false, DeploymentStatus.RolledBack, error);
}
