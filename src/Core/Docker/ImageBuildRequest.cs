namespace Cluster.Core.Docker;

// What to build from a context tar: the tag to give the image, the Dockerfile path inside the
// context, the multi-stage target, build arguments and labels. Null or empty means the engine's
// default (Dockerfile at the root, the last stage).
public sealed record ImageBuildRequest
{
    public required string Tag { get; init; }

    public string? Dockerfile { get; init; }

    public string? Target { get; init; }

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
