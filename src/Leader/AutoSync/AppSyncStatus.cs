namespace Cluster.Leader.AutoSync;

// What `app show` tells about an app's Auto-Sync: the last check (when, result, error, the
// digest seen, or for a Git app the branch's head commit) and when the next one is due. Result
// is one of "pending", "unchanged", "new-digest" ("new-commit" for Git), "absorbed", "held",
// "skipped", "not-deployed", "failed" (see SyncVerdict), or "not-followed" (a Git app pinned to
// a commit).
public sealed record AppSyncStatus(
    DateTimeOffset? LastCheckAt,
    string Result,
    string Error,
    string Digest,
    string Trigger,
    string Deployment,
    DateTimeOffset? NextCheck);
