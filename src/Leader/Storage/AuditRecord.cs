namespace Cluster.Leader.Storage;

// Who changed what and when. Never holds a secret: Details is built from names and outcomes.
public sealed class AuditRecord
{
    public long Id { get; set; }

    public DateTime At { get; set; }

    public string Actor { get; set; } = "";

    // "registry.add", "registry.update", "registry.remove", "registry.verify", "key.rotate", ...
    public string Action { get; set; } = "";

    public string Target { get; set; } = "";

    public long Revision { get; set; }

    public string Details { get; set; } = "";
}
