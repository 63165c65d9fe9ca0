namespace Cluster.Leader.Storage;

// What started a deployment ("manual", "auto-sync", "webhook" on the wire and on disk).
public enum DeploymentTrigger
{
    Manual,
    AutoSync,
    Webhook,
}
