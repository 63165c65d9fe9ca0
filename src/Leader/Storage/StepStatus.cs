namespace Cluster.Leader.Storage;

// State of a deployment step or of one node's part in it ("pending", "running", "ok", "failed"
// on the wire and on disk).
public enum StepStatus
{
    Pending,
    Running,
    Ok,
    Failed,
}
