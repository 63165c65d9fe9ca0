namespace Cluster.Leader.Builds;

// What a build step produced for the deployment to continue with. When Ok: Repository and Tag
// name the image; Digest is the registry's manifest digest when pushed, empty when Local (the
// image is only in the single node's engine and the service uses the tag unique to the build).
public sealed record BuiltImage
{
    public bool Ok { get; init; }

    public string Error { get; init; } = "";

    public string Commit { get; init; } = "";

    public string Repository { get; init; } = "";

    public string Tag { get; init; } = "";

    public string Digest { get; init; } = "";

    public bool Local { get; init; }

    // When Local: the swarm node id whose engine holds the image.
    public string LocalNode { get; init; } = "";

    public string Builder { get; init; } = "";

    // repo:tag, or repo:tag@digest when pushed: exactly what the service should run.
    public string Pinned => Digest.Length > 0 ? $"{Repository}:{Tag}@{Digest}" : $"{Repository}:{Tag}";
}
