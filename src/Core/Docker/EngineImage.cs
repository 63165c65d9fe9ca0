namespace Cluster.Core.Docker;

// One image as the engine lists it: its id (config digest), the references that name it
// ("repo:tag" and "repo@sha256:..."; a dangling image has none), its labels and build time.
public sealed record EngineImage(
    string Id,
    IReadOnlyList<string> RepoTags,
    IReadOnlyList<string> RepoDigests,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset Created);
