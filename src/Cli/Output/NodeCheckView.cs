namespace Cluster.Cli.Output;

// INTERFACE.md: {"node","status","error","checkedAt"}.
internal sealed record NodeCheckView(string Node, string Status, string? Error, DateTimeOffset? CheckedAt);
