namespace Cluster.Cli.Output;

// INTERFACE.md: "lastCheck":{"at","result","error"}; the digest seen, what triggered the check
// and the last deployment Auto-Sync started are added.
internal sealed record AutoSyncCheckView(DateTime? At, string Result, string? Error, string? Digest, string? Trigger, string? Deployment);
