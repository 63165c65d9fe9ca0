namespace Cluster.Leader.Storage;

// A joined agent or builder. CertificateThumbprint names the ONE client certificate that may
// open sessions for this node: re-joining replaces it, removal revokes it.
public sealed class NodeRecord
{
    public string Id { get; set; } = "";

    // "agent" or "builder".
    public string Role { get; set; } = "";

    // The engine's ID: a re-join from the same engine keeps the node id.
    public string MachineId { get; set; } = "";

    public string Hostname { get; set; } = "";

    public string SwarmNodeId { get; set; } = "";

    // "manager" or "worker", as the node's engine reports it.
    public string SwarmRole { get; set; } = "";

    public string EngineVersion { get; set; } = "";

    public string Architecture { get; set; } = "";

    public string CertificateThumbprint { get; set; } = "";

    public DateTime CertificateNotAfter { get; set; }

    public bool Revoked { get; set; }

    // Newest credential revision the agent has acknowledged as applied.
    public long AckedRevision { get; set; }

    public DateTime JoinedAt { get; set; }

    public DateTime? LastSeen { get; set; }
}
