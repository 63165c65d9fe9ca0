namespace Cluster.Core.Docker;

// A node as the swarm manager sees it. State is swarm's ("ready", "down", ...); Availability
// is "active", "pause" or "drain"; Labels are the node's own (node.labels.* in constraints).
public sealed record SwarmNode(string Id, string Hostname, string Role, string State, string Availability, string Architecture, string Address)
{
    public string Os { get; init; } = "linux";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
