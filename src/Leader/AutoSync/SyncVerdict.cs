namespace Cluster.Leader.AutoSync;

// What a successful check means for one app.
public enum SyncVerdict
{
    // The registry's digest is the one the app runs.
    Unchanged,
    // A new digest: deploy it.
    Deploy,
    // A deployment of the app is running: it absorbs the trigger; one re-check after it ends.
    Absorbed,
    // The app was auto-deployed less than one interval ago: the digest is flipping; re-check
    // when the interval has passed instead of chasing every flip.
    Held,
    // Auto-Sync already deployed this digest and that deployment failed: wait for a new one.
    Skipped,
    // Never deployed: Auto-Sync follows an app once it has run (`clusterctl deploy` first).
    NotDeployed,
}
