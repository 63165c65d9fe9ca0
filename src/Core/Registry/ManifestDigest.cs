namespace Cluster.Core.Registry;

// What a registry reports for a manifest reference: the content digest ("sha256:..."), the
// manifest's media type (for a multi-arch image, the index/list type: the digest is then the
// index's, which is what a swarm service should be pinned to), and its size in bytes when the
// registry sent Content-Length.
public sealed record ManifestDigest(string Digest, string MediaType, long? Size);
