namespace Cluster.Leader.Storage;

// An app: what to run (an image repository and tag, or a Git source), how (replicas,
// constraints, env, published ports), and what it last ran (the pinned digest).
public sealed class AppRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    // Apps.AppSources: "image", "git" or "dir".
    public string Source { get; set; } = "image";

    // Normalized repository (registry/path), e.g. "ghcr.io/acme/web".
    public string Image { get; set; } = "";

    public string Tag { get; set; } = "latest";

    // Issue #13.9: `--image REPO:TAG@sha256:...` pins the app to that digest: every deployment
    // runs exactly it (Docker's rule: a digest wins over its tag), Auto-Sync does not apply, and
    // the tag is only compared, to say when it points elsewhere now. Empty: follow the tag.
    // `app set --tag` replaces the pin with that tag.
    public string PinnedDigest { get; set; } = "";

    // Whether the pinned reference named a tag (REPO@sha256:... does not: Tag is then "latest"
    // and nothing is compared).
    public bool PinnedWithTag { get; set; }

    // Credential name; empty = inferred from the keyring (or anonymous).
    public string Registry { get; set; } = "";

    public int Replicas { get; set; } = 1;

    public List<string> Constraints { get; set; } = [];

    public Dictionary<string, string> Env { get; set; } = [];

    public List<string> Publish { get; set; } = [];

    public bool AutoSync { get; set; }

    // Auto-Sync check interval of this app in seconds; 0 = the cluster's (--auto-sync-interval).
    public int SyncIntervalSeconds { get; set; }

    public string GitUrl { get; set; } = "";

    public string GitRef { get; set; } = "";

    public string Dockerfile { get; set; } = "";

    // Builds: the Git credential's name (empty for public repositories), the context directory
    // and target stage inside the repository, build arguments, and the build deadline.
    public string GitCredential { get; set; } = "";

    public string ContextDir { get; set; } = "";

    public string TargetStage { get; set; } = "";

    public Dictionary<string, string> BuildArgs { get; set; } = [];

    public int BuildTimeoutSeconds { get; set; }

    // True while the service runs an image kept only in the single node's engine (registry-less):
    // such an app cannot move to another node until it is built and pushed again.
    public bool LocalImage { get; set; }

    // The swarm node id whose engine holds that local image (where the build server ran); empty
    // when LocalImage is false, or for records written before it was kept.
    public string LocalImageNode { get; set; } = "";

    // Digest of the last successful deployment, and the image exactly as pinned in the service.
    public string Digest { get; set; } = "";

    public string PinnedImage { get; set; } = "";

    public string LastDeployment { get; set; } = "";

    public string ServiceId { get; set; } = "";

    // The existing swarm service (full ID) the operator took over with `app create --adopt`;
    // the first deployment replaces its spec and labels it as the app's.
    public string AdoptServiceId { get; set; } = "";

    // The tag the app runs since its last successful deployment (a custom tag becomes current).
    public string RunningTag { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}
