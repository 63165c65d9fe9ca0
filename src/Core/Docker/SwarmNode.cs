namespace Cluster.Core.Docker;

// A node as the swarm manager sees it. State is swarm's ("ready", "down", ...); Availability
// is "active", "pause" or "drain".
public sealed record SwarmNode(string Id, string Hostname, string Role, string State, string Availability, string Architecture, string Address);
