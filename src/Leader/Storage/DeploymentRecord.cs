namespace Cluster.Leader.Storage;

// One deployment, kept forever: what was asked, what it resolved to, what happened on each node.
public sealed class DeploymentRecord
{
    public string Id { get; set; } = "";

    public string AppId { get; set; } = "";

    public string App { get; set; } = "";

    // "running", "succeeded", "failed", "rolled-back".
    public string Status { get; set; } = "running";

    // repo:tag as requested.
    public string Image { get; set; } = "";

    public string Digest { get; set; } = "";

    public string RequestedBy { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public List<NodeStepRecord> Nodes { get; set; } = [];

    public string Error { get; set; } = "";

    public List<string> Log { get; set; } = [];
}
