namespace Cluster.Leader.Storage;

// Outcome of a deployment. Stored and shown as its wire word (StatusWords): clusterctl's JSON
// prints "running", "succeeded", "failed", "rolled-back", and records written before this enum
// existed hold the same words.
public enum DeploymentStatus
{
    Running,
    Succeeded,
    Failed,
    RolledBack,
}
