namespace Cluster.Leader.Storage;

// One step of a deployment as it ran (see Deployments/IDeploymentStep).
public sealed class StepRecord
{
    public string Name { get; set; } = "";

    public StepStatus Status { get; set; } = StepStatus.Pending;

    public string Error { get; set; } = "";

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }
}
