using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

// The digest pinned is the hash of the bytes served; a header that disagrees is reported.
public sealed class ManifestPinTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}");
    private static readonly string Sha256 = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Body));

    [Fact]
    public void Pin_NoHeader_HashOfTheBytesAndMediaTypeFromTheBody()
    {
        var pinned = ManifestPin.Pin("r.test", "r.test/a:1", expected: null, Reply());

        Assert.Equal(Sha256, pinned.Digest);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", pinned.MediaType);
        Assert.Equal(Body.Length, pinned.Size);
    }

    [Fact]
    public void Pin_HeaderAgrees_Pinned()
    {
        Assert.Equal(Sha256, ManifestPin.Pin("r.test", "r.test/a:1", null, Reply(("Docker-Content-Digest", Sha256))).Digest);
    }

    [Theory]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000", "sent Docker-Content-Digest sha256:0000")]
    [InlineData("md5:abc", "sent an invalid Docker-Content-Digest")]
    public void Pin_HeaderDisagrees_ReportedAsThat(string header, string expected)
    {
        var failure = Assert.Throws<RegistryFailureException>(() => ManifestPin.Pin("r.test", "r.test/a:1", null, Reply(("Docker-Content-Digest", header))));

        Assert.Equal(RegistryFailureKind.Other, failure.Kind);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_ReferenceDigestDiffersFromBytes_ContentDoesNotMatch()
    {
        var other = "sha256:" + new string('1', 64);

        var failure = Assert.Throws<RegistryFailureException>(() => ManifestPin.Pin("r.test", "r.test/a@" + other, other, Reply(("Docker-Content-Digest", other))));

        Assert.Contains("the content does not match its digest", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, null, null, null, false)]
    [InlineData("100;w=21600", "76;w=21600", 100, 76, 21600, true)]
    [InlineData("100", "0", 100, 0, null, true)]
    [InlineData(null, "12", null, 12, null, true)]
    [InlineData("lots", "some;w=x", null, null, null, true)]
    public void RateLimit_Parse(string? limit, string? remaining, int? l, int? r, int? window, bool present)
    {
        var parsed = RegistryRateLimit.Parse(limit, remaining);

        Assert.Equal(present, parsed is not null);
        if (parsed is not null)
        {
            Assert.Equal(new RegistryRateLimit(l, r, window is { } w ? TimeSpan.FromSeconds(w) : null), parsed);
        }
    }

    private static RegistryReply Reply(params (string Name, string Value)[] headers) =>
        new(HttpStatusCode.OK, "OK", headers.ToDictionary(h => h.Name, h => new[] { h.Value }, StringComparer.OrdinalIgnoreCase), Body, new Uri("https://r.test/v2/a/manifests/1"), AuthUse.Anonymous);
}
