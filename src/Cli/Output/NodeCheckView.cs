namespace Cluster.Cli.Output;

// INTERFACE.md: {"node","status","error","checkedAt"}; revision: the credential revision checked.
internal sealed record NodeCheckView(string Node, string Status, string? Error, DateTimeOffset? CheckedAt, ulong Revision);
