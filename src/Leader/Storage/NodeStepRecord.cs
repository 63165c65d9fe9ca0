namespace Cluster.Leader.Storage;

// One node's part in one step of a deployment.
public sealed class NodeStepRecord
{
    public string Node { get; set; } = "";

    // "pre-pull" or "run".
    public string Step { get; set; } = "";

    public StepStatus Status { get; set; } = StepStatus.Pending;

    public string Error { get; set; } = "";
}
