namespace Cluster.Leader.Storage;

// What started a deployment ("manual", "auto-sync", "webhook", "migration" on the wire and on disk).
public enum DeploymentTrigger
{
    Manual,
    AutoSync,
    Webhook,

    // The leader moved a registry-less built app onto the build registry when the swarm grew
    // past one node (Deployments/LocalImageMigrator).
    Migration,
}
