namespace Cluster.Leader.Apps;

// Input of `app create`.
public sealed record AppSpec(
    string Name,
    string? Image,
    string? Registry,
    int Replicas,
    IReadOnlyList<string> Constraints,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Publish,
    bool AutoSync,
    string? GitUrl,
    string? GitRef,
    string? Dockerfile,
    TimeSpan? SyncInterval = null)
{
    // The shortest --sync-interval (and --auto-sync-interval) taken: below it a poller stops being
    // polite to shared registries (Docker Hub counts per IP).
    public static readonly TimeSpan MinimumSyncInterval = TimeSpan.FromSeconds(5);

    // Take over an existing unlabeled swarm service of the same name.
    public bool Adopt { get; init; }

    // Builds (git apps): see AppRecord.
    public string? GitCredential { get; init; }

    public string? ContextDir { get; init; }

    public string? TargetStage { get; init; }

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public int BuildTimeoutSeconds { get; init; }

    // Built from a folder sent with each deployment (`app create NAME --from-dir`).
    public bool FromDir { get; init; }
}
