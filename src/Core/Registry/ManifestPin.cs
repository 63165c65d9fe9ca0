using System.Security.Cryptography;
using System.Text.Json;
using Cluster.Core.Images;

namespace Cluster.Core.Registry;

// The digest to pin for a manifest: the hash of the bytes the registry actually served, never
// its Docker-Content-Digest header alone. A header that disagrees with the bytes means a proxy
// or the registry rewrote it; that is reported as exactly that, because pinning either value
// would be a guess (nodes pull by digest, and a wrong one is "manifest unknown" on every node).
// Pure: depends only on the reply.
internal static class ManifestPin
{
    public const string DigestHeader = "Docker-Content-Digest";

    // expected: the digest the reference itself holds (repo@sha256:...), which the bytes must match.
    public static ManifestDigest Pin(string host, string image, string? expected, RegistryReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var header = reply.Header(DigestHeader)?.Trim();
        if (header is { Length: > 0 } && !ImageReference.IsValidDigest(header))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{host} sent an invalid {DigestHeader} \"{RegistryText.Printable(header)}\" for {image}");
        }

        var algorithm = Algorithm(expected) ?? "sha256";
        var computed = Digest(algorithm, reply.Body);
        if (expected is not null && !string.Equals(computed, expected, StringComparison.Ordinal))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other,
                $"{host} served a manifest for {image} whose bytes hash to {computed}; the content does not match its digest");
        }

        if (header is { Length: > 0 } && Algorithm(header) is { } headerAlgorithm && Supported(headerAlgorithm) &&
            !string.Equals(header, Digest(headerAlgorithm, reply.Body), StringComparison.Ordinal))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other,
                $"{host} sent {DigestHeader} {header} for {image}, but the manifest bytes it served hash to {computed}; a proxy or the registry rewrote the header, so neither is pinned: fix the proxy, or pull without it");
        }

        var mediaType = MediaType(reply.Header("Content-Type")) ?? MediaTypeOfBody(reply.Body);
        return new ManifestDigest(computed, mediaType ?? "unknown", reply.Body.Length);
    }

    // "application/vnd.oci.image.index.v1+json; charset=utf-8" -> the type alone.
    public static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static string? MediaTypeOfBody(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object &&
                   doc.RootElement.TryGetProperty("mediaType", out var value) && value.ValueKind == JsonValueKind.String &&
                   value.GetString() is { Length: > 0 } s
                ? s
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Algorithm(string? digest) =>
        digest is not null && digest.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? digest[..colon] : null;

    private static bool Supported(string algorithm) => algorithm is "sha256" or "sha512";

    private static string Digest(string algorithm, byte[] body) => algorithm switch
    {
        "sha512" => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(body)),
        _ => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)),
    };
}
