namespace Cluster.Leader.AutoSync;

// What `app show` tells about an app's Auto-Sync: the last check (when, result, error, the
// digest seen) and when the next one is due. Result is one of "unchanged", "new-digest",
// "absorbed", "held", "skipped", "not-deployed", "failed" (see SyncVerdict).
public sealed record AppSyncStatus(
    DateTimeOffset? LastCheckAt,
    string Result,
    string Error,
    string Digest,
    string Trigger,
    string Deployment,
    DateTimeOffset? NextCheck);
