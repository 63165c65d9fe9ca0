using Cluster.Core.Images;

namespace Cluster.Core.Tests.Images;

public sealed class ImageReferenceWithTests
{
    private const string Sha256 = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    private const string Sha512 = "sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    // Cases ported from reference_test.go TestWithTag / TestWithDigest.
    [Theory]
    [InlineData("test.com/foo", "tag", "test.com/foo:tag")]
    [InlineData("foo", "tag2", "docker.io/library/foo:tag2")]
    [InlineData("test.com:8000/foo", "tag4", "test.com:8000/foo:tag4")]
    [InlineData("test.com:8000/foo", "TAG5", "test.com:8000/foo:TAG5")]
    [InlineData("test.com:8000/foo@" + Sha256, "TAG5", "test.com:8000/foo:TAG5@" + Sha256)]
    [InlineData("nginx:old", "new", "docker.io/library/nginx:new")]
    [InlineData("nginx", "_", "docker.io/library/nginx:_")]
    public void WithTag_ValidTag_ReplacesTagAndKeepsDigest(string input, string tag, string canonical)
    {
        ImageReference tagged = ImageReference.Parse(input).WithTag(tag);

        Assert.Equal(tag, tagged.Tag);
        Assert.Equal(canonical, tagged.Canonical);
        Assert.Equal(tagged, ImageReference.Parse(canonical));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-foo")]
    [InlineData(".foo")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a@b")]
    [InlineData("tag with space")]
    [InlineData("ünïcode")]
    public void WithTag_InvalidTag_ThrowsInvalidTag(string tag)
    {
        ImageReference reference = ImageReference.Parse("nginx");

        ImageReferenceException exception = Assert.Throws<ImageReferenceException>(() => reference.WithTag(tag));

        Assert.Equal(ImageReferenceErrorKind.InvalidTag, exception.Error.Kind);
        Assert.StartsWith(tag.Length == 0 ? "tag is empty" : "invalid tag \"", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithTag_MaximumLength_AcceptsExactly128Characters()
    {
        ImageReference reference = ImageReference.Parse("nginx");

        Assert.Equal(new string('t', 128), reference.WithTag(new string('t', 128)).Tag);
        Assert.Throws<ImageReferenceException>(() => reference.WithTag(new string('t', 129)));
    }

    [Theory]
    [InlineData("test.com/foo", Sha256, "test.com/foo@" + Sha256)]
    [InlineData("foo", Sha256, "docker.io/library/foo@" + Sha256)]
    [InlineData("test.com:8000/foo", Sha256, "test.com:8000/foo@" + Sha256)]
    [InlineData("test.com:8000/foo:latest", Sha256, "test.com:8000/foo:latest@" + Sha256)]
    [InlineData("nginx@" + Sha256, Sha512, "docker.io/library/nginx@" + Sha512)]
    public void WithDigest_ValidDigest_ReplacesDigestAndKeepsTag(string input, string digest, string canonical)
    {
        ImageReference digested = ImageReference.Parse(input).WithDigest(digest);

        Assert.Equal(digest, digested.Digest);
        Assert.Equal(canonical, digested.Canonical);
        Assert.Equal(digested, ImageReference.Parse(canonical));
    }

    [Theory]
    [InlineData("foo", ImageReferenceErrorKind.InvalidDigest)]
    [InlineData("", ImageReferenceErrorKind.InvalidDigest)]
    // Docker's WithDigest checks only the grammar and would accept this 37-hex "sha256"; we also
    // apply go-digest's length rule so the result always parses back.
    [InlineData("sha256:1234567890098765432112345667890098765", ImageReferenceErrorKind.InvalidDigest)]
    [InlineData("SHA256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ImageReferenceErrorKind.InvalidDigest)]
    [InlineData("sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C", ImageReferenceErrorKind.InvalidDigest)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", ImageReferenceErrorKind.UnsupportedDigestAlgorithm)]
    [InlineData("sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c@x", ImageReferenceErrorKind.InvalidDigest)]
    public void WithDigest_InvalidDigest_ThrowsWithKind(string digest, ImageReferenceErrorKind kind)
    {
        ImageReference reference = ImageReference.Parse("nginx");

        ImageReferenceException exception = Assert.Throws<ImageReferenceException>(() => reference.WithDigest(digest));

        Assert.Equal(kind, exception.Error.Kind);
    }

    [Theory]
    [InlineData("latest", true)]
    [InlineData("_", true)]
    [InlineData("v1.2.3-rc.1_build", true)]
    [InlineData("", false)]
    [InlineData("-rc", false)]
    [InlineData("a+b", false)]
    public void IsValidTag_Tag_FollowsDockerTagGrammar(string tag, bool valid)
    {
        Assert.Equal(valid, ImageReference.IsValidTag(tag));
    }

    [Theory]
    [InlineData(Sha256, true)]
    [InlineData(Sha512, true)]
    [InlineData("sha384:d3fc7881460b7e22e3d172954463dddd7866d17597e7248453c48b3e9d26d9596bf9c4a9cf8072c9d5bad76e19af801d", true)]
    [InlineData("sha256:abc", false)]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", false)]
    [InlineData("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", false)]
    public void IsValidDigest_Digest_FollowsReferenceAndGoDigestRules(string digest, bool valid)
    {
        Assert.Equal(valid, ImageReference.IsValidDigest(digest));
    }
}
