namespace Cluster.Leader.Storage;

public sealed class NodeStepRecord
{
    public string Node { get; set; } = "";

    // "pre-pull" or "run".
    public string Step { get; set; } = "";

    // "pending", "running", "ok", "failed".
    public string Status { get; set; } = "pending";

    public string Error { get; set; } = "";
}
