namespace Cluster.Leader.AutoSync;

// What SyncDecider needs to know about one app at the moment a check of its ref completes.
public sealed record AppSyncFacts(
    string DeployedDigest,
    bool DeploymentRunning,
    TimeSpan Interval,
    DateTimeOffset? LastAutoDeployAt,
    string? LastFailedAutoDigest);
