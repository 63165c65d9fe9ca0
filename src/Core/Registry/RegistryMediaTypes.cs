namespace Cluster.Core.Registry;

// The manifest media types the client asks for (the four Docker and OCI types that every
// engine since 20.10 understands), and how to tell an index from a single-platform manifest.
public static class RegistryMediaTypes
{
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";

    // Schema 1, which old registries still return when none of the Accept types match.
    public const string DockerManifestV1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string DockerManifestV1 = "application/vnd.docker.distribution.manifest.v1+json";

    // In order of preference; sent as one Accept header on every manifest request.
    public static IReadOnlyList<string> ManifestAccept { get; } = [DockerManifest, DockerManifestList, OciManifest, OciIndex];

    public static bool IsIndex(string? mediaType) =>
        string.Equals(mediaType, DockerManifestList, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(mediaType, OciIndex, StringComparison.OrdinalIgnoreCase);
}
