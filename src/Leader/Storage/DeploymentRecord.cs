namespace Cluster.Leader.Storage;

// One deployment, kept forever: what was asked, what it resolved to, which steps ran, what
// happened on each node.
public sealed class DeploymentRecord
{
    public string Id { get; set; } = "";

    public string AppId { get; set; } = "";

    public string App { get; set; } = "";

    public DeploymentStatus Status { get; set; } = DeploymentStatus.Running;

    public DeploymentTrigger Trigger { get; set; } = DeploymentTrigger.Manual;

    // repo:tag as requested.
    public string Image { get; set; } = "";

    public string Digest { get; set; } = "";

    // The digest the app ran when this deployment started; empty for a first deployment.
    public string PreviousDigest { get; set; } = "";

    public string RequestedBy { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public List<StepRecord> Steps { get; set; } = [];

    public List<NodeStepRecord> Nodes { get; set; } = [];

    public string Error { get; set; } = "";

    public List<string> Log { get; set; } = [];

    // Builds: "git URL@REF" for built apps, "dir:NAME@sha256:HEX" for an uploaded folder (empty
    // for image apps), and what the build made.
    public string Source { get; set; } = "";

    // An uploaded folder's sha256 (lowercase hex) and size in bytes; empty and 0 otherwise.
    public string SourceSha256 { get; set; } = "";

    public long SourceBytes { get; set; }

    public string Commit { get; set; } = "";

    public List<string> BuildLog { get; set; } = [];

    public string BuildImage { get; set; } = "";

    public string BuildDigest { get; set; } = "";

    public string Builder { get; set; } = "";

    public bool BuildLocal { get; set; }
}
