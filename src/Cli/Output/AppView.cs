using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: {"name","source","image","tag","digest","autoSync","replicas","lastDeployment"};
// Auto-Sync adds "autoSyncInterval" (seconds, the effective one), "syncInterval" (the app's
// own, null when it follows the cluster's), "lastCheck" and "nextCheck" (null when off).
// Deployments add "runningTag": the tag of the last successful deployment, null before one.
internal sealed record AppView(string Name, string Source, string Image, string Tag, string? Digest, bool AutoSync, uint Replicas, string? LastDeployment, string? Registry, IReadOnlyList<string> Constraints, IReadOnlyList<string> Publish, IReadOnlyDictionary<string, string> Env,
    uint AutoSyncInterval, uint? SyncInterval, AutoSyncCheckView? LastCheck, DateTime? NextCheck)
{
    public string? RunningTag { get; init; }

    // The digest every deployment runs (`--image REF@sha256:...`); null when the app follows its tag.
    public string? PinnedDigest { get; init; }

    public static AppView From(App a) => new(
        a.Name, a.Source, a.Image, a.Tag, string.IsNullOrEmpty(a.Digest) ? null : a.Digest, a.AutoSync, a.Replicas,
        string.IsNullOrEmpty(a.LastDeployment) ? null : a.LastDeployment, string.IsNullOrEmpty(a.Registry) ? null : a.Registry,
        [.. a.Constraints], [.. a.Publish], a.Env.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        a.AutoSyncIntervalSeconds, a.SyncIntervalSeconds == 0 ? null : a.SyncIntervalSeconds,
        a.LastCheck is null ? null : new AutoSyncCheckView(
            a.LastCheck.At?.ToDateTime(), a.LastCheck.Result, Null(a.LastCheck.Error), Null(a.LastCheck.Digest), Null(a.LastCheck.Trigger), Null(a.LastCheck.Deployment)) { Commit = Null(a.LastCheck.Commit) },
        a.NextCheck?.ToDateTime())
    {
        RunningTag = string.IsNullOrEmpty(a.RunningTag) ? null : a.RunningTag,
        PinnedDigest = Null(a.PinnedDigest),
    };

    private static string? Null(string s) => string.IsNullOrEmpty(s) ? null : s;
}
