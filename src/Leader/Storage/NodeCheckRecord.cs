namespace Cluster.Leader.Storage;

// A node's own check of one credential, through its engine. Id = "<node id>:<credential id>".
public sealed class NodeCheckRecord
{
    public string Id { get; set; } = "";

    public string NodeId { get; set; } = "";

    public string CredentialId { get; set; } = "";

    public long Revision { get; set; }

    public bool Ok { get; set; }

    public string Failure { get; set; } = "";

    public string Message { get; set; } = "";

    public DateTime CheckedAt { get; set; }
}
