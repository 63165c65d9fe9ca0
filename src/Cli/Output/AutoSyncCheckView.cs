namespace Cluster.Cli.Output;

// INTERFACE.md: "lastCheck":{"at","result","error"}; the digest seen, what triggered the check
// and the last deployment Auto-Sync started are added; for apps built from Git, "commit" (the
// branch head the check found) instead of "digest".
internal sealed record AutoSyncCheckView(DateTime? At, string Result, string? Error, string? Digest, string? Trigger, string? Deployment)
{
    // For apps built from Git: the commit the branch head named (Digest is then null).
    public string? Commit { get; init; }
}
