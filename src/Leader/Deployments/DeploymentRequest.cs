using Cluster.Leader.Storage;

namespace Cluster.Leader.Deployments;

// What starts a deployment. `clusterctl deploy` sends App, Tag and the admin as Actor;
// Auto-Sync and webhooks add their Trigger and the digest they saw, which is recorded, never
// trusted: the resolve step asks the registry again.
public sealed record DeploymentRequest(string App, string? Tag, string Actor)
{
    public DeploymentTrigger Trigger { get; init; } = DeploymentTrigger.Manual;

    // The digest the trigger found (Auto-Sync's new digest; a Git app's new head commit), for
    // the log only.
    public string? SeenDigest { get; init; }

    // The folder to build, for an app built from one (`deploy NAME --from-dir PATH`), claimed
    // from the SourceUploadStore. Once the deployment has started it owns the upload and
    // deletes it when its build ends (or when the deployment ends, whichever comes first).
    public Sources.SourceUpload? Upload { get; init; }

    // Migration out of registry-less mode (LocalImageMigrator): the build step pushes the
    // image the app runs from the local engine to the build registry instead of building, and the
    // deployment goes on as for any pushed build (pre-pull on eligible nodes, pinned update,
    // confirm). Neither a tag nor an upload goes with it.
    public bool Migration { get; init; }
}
