using System.Diagnostics;
using Cluster.Core.Images;

namespace Cluster.Core.Tests.Images;

public sealed class ImageReferenceParseTests
{
    private const string Sha256 = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";

    [Theory]
    [MemberData(nameof(ImageReferenceCases.Valid), MemberType = typeof(ImageReferenceCases))]
    public void Parse_ValidReference_NormalizesLikeDocker(
        string input, string registry, string repository, string? tag, string? digest, string canonical, string familiarName)
    {
        ImageReference reference = ImageReference.Parse(input);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(canonical, reference.Canonical);
        Assert.Equal(familiarName, reference.FamiliarName);
        Assert.Equal(registry.Length == 0 ? repository : registry + "/" + repository, reference.Name);
        Assert.Equal(canonical, reference.ToString());
    }

    [Theory]
    [MemberData(nameof(ImageReferenceCases.Valid), MemberType = typeof(ImageReferenceCases))]
    public void TryParse_ValidReference_ReturnsTrueWithSameReference(
        string input, string registry, string repository, string? tag, string? digest, string canonical, string familiarName)
    {
        _ = (registry, repository, tag, digest, familiarName);

        bool parsed = ImageReference.TryParse(input, out ImageReference? reference, out ImageReferenceError? error);

        Assert.True(parsed);
        Assert.Null(error);
        Assert.Equal(canonical, reference!.Canonical);
        Assert.Equal(ImageReference.Parse(input), reference);
    }

    [Theory]
    [MemberData(nameof(ImageReferenceCases.Valid), MemberType = typeof(ImageReferenceCases))]
    public void Parse_CanonicalAndFamiliarForms_RoundTripToEqualReference(
        string input, string registry, string repository, string? tag, string? digest, string canonical, string familiarName)
    {
        _ = (registry, repository, tag, digest, canonical, familiarName);
        ImageReference reference = ImageReference.Parse(input);

        Assert.Equal(reference, ImageReference.Parse(reference.Canonical));
        if (!IsHexIdentifier(reference.FamiliarName))
        {
            // Docker refuses a 64-hex familiar name ("docker.io/<64 hex>" shortens to one), so
            // that form alone cannot round-trip.
            Assert.Equal(reference, ImageReference.Parse(reference.FamiliarString));
        }
    }

    [Theory]
    [MemberData(nameof(ImageReferenceCases.Invalid), MemberType = typeof(ImageReferenceCases))]
    public void Parse_InvalidReference_ThrowsWithKind(string input, ImageReferenceErrorKind kind)
    {
        ImageReferenceException exception = Assert.Throws<ImageReferenceException>(() => ImageReference.Parse(input));

        Assert.Equal(kind, exception.Error.Kind);
        Assert.Equal(exception.Error.Message, exception.Message);
        Assert.StartsWith(kind == ImageReferenceErrorKind.Empty ? "invalid reference: " : "invalid reference \"", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', exception.Message);
        Assert.True(exception.Message.Length < 1200, "messages are bounded even for huge input");
    }

    [Theory]
    [MemberData(nameof(ImageReferenceCases.Invalid), MemberType = typeof(ImageReferenceCases))]
    public void TryParse_InvalidReference_ReturnsFalseWithError(string input, ImageReferenceErrorKind kind)
    {
        bool parsed = ImageReference.TryParse(input, out ImageReference? reference, out ImageReferenceError? error);

        Assert.False(parsed);
        Assert.Null(reference);
        Assert.Equal(kind, error!.Kind);
    }

    [Theory]
    [InlineData("", "invalid reference: empty")]
    [InlineData("nginx:", "invalid reference \"nginx:\": tag is empty")]
    [InlineData("nginx:-x", "invalid reference \"nginx:-x\": invalid tag \"-x\": must be at most 128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'")]
    [InlineData("nginx@sha256:abc", "invalid reference \"nginx@sha256:abc\": invalid digest \"sha256:abc\": sha256 digest must be 64 hex characters, not 3")]
    [InlineData("nginx@", "invalid reference \"nginx@\": digest is empty")]
    [InlineData("docker/Docker", "invalid reference \"docker/Docker\": repository name must be lowercase (\"Docker\")")]
    [InlineData("my_reg.com:5000/app", "invalid reference \"my_reg.com:5000/app\": invalid registry host \"my_reg.com:5000\": character '_' is not allowed in a host name (letters, digits, '-' and '.' only)")]
    [InlineData("localhost:http/app", "invalid reference \"localhost:http/app\": invalid registry host \"localhost:http\": port \"http\" must be a number")]
    [InlineData("fc00::1:5000/debian", "invalid reference \"fc00::1:5000/debian\": invalid registry host \"fc00::1:5000\": an IPv6 address must be enclosed in brackets, e.g. \"[fc00::1]:5000\"")]
    [InlineData("[fc00::1]:5000", "invalid reference \"[fc00::1]:5000\": a registry host must be followed by '/' and a repository path")]
    [InlineData("docker///docker", "invalid reference \"docker///docker\": it contains an empty path component (a leading, trailing or doubled '/')")]
    [InlineData("-docker", "invalid reference \"-docker\": path component \"-docker\" must start and end with a lowercase letter or digit")]
    [InlineData("nginx@md5:abc", "invalid reference \"nginx@md5:abc\": invalid digest \"md5:abc\": unsupported digest algorithm \"md5\" (supported: sha256, sha384, sha512)")]
    [InlineData("nginx@SHA256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "invalid reference \"nginx@SHA256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c\": invalid digest \"SHA256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c\": the digest algorithm must be lowercase (\"sha256\")")]
    [InlineData("https://ghcr.io/a/b", "invalid reference \"https://ghcr.io/a/b\": an image reference has no URL scheme; remove the \"scheme://\" prefix")]
    [InlineData("dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", "invalid reference \"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c\": a 64-character hexadecimal string is an image ID, not a repository name")]
    [InlineData("nginx\n", "invalid reference \"nginx\\u000a\": character U+000A is not allowed in path component \"nginx\\u000a\"; path components may contain only lowercase letters, digits and the separators '.', '_', '__' or a run of '-', and must start and end with a letter or digit")]
    public void Parse_InvalidReference_MessageNamesTheBrokenPart(string input, string message)
    {
        ImageReferenceException exception = Assert.Throws<ImageReferenceException>(() => ImageReference.Parse(input));

        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void Parse_PathOverLimit_MessageGivesLengthAndLimit()
    {
        ImageReferenceException exception = Assert.Throws<ImageReferenceException>(() => ImageReference.Parse(new string('a', 250)));

        Assert.Equal(ImageReferenceErrorKind.NameTooLong, exception.Error.Kind);
        Assert.Contains("repository path is 258 characters long", exception.Message, StringComparison.Ordinal);
        Assert.Contains("at most 255 are allowed", exception.Message, StringComparison.Ordinal);
        Assert.Contains("... (258 characters)", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nginx", "nginx")]
    [InlineData("nginx:1.25", "nginx:1.25")]
    [InlineData("docker.io/library/nginx:1.25", "nginx:1.25")]
    [InlineData("index.docker.io/user/app@" + Sha256, "user/app@" + Sha256)]
    [InlineData("busybox:latest@" + Sha256, "busybox:latest@" + Sha256)]
    [InlineData("docker.io/library/foo/bar:1", "library/foo/bar:1")]
    [InlineData("ghcr.io/a/b:1", "ghcr.io/a/b:1")]
    [InlineData("localhost:5000/app:dev", "localhost:5000/app:dev")]
    public void FamiliarString_Reference_MatchesDockerFamiliarString(string input, string familiar)
    {
        Assert.Equal(familiar, ImageReference.Parse(input).FamiliarString);
    }

    [Fact]
    public void Parse_NameOnly_HasNoImplicitLatestTag()
    {
        ImageReference reference = ImageReference.Parse("nginx");

        Assert.Null(reference.Tag);
        Assert.Null(reference.Digest);
        Assert.Equal("docker.io/library/nginx", reference.Canonical);
        Assert.NotEqual(ImageReference.Parse("nginx:latest"), reference);
    }

    [Fact]
    public void Parse_SpellingsOfTheSameImage_AreEqualWithEqualHashCodes()
    {
        ImageReference[] spellings =
        [
            ImageReference.Parse("nginx:1"),
            ImageReference.Parse("library/nginx:1"),
            ImageReference.Parse("docker.io/nginx:1"),
            ImageReference.Parse("docker.io/library/nginx:1"),
            ImageReference.Parse("index.docker.io/library/nginx:1"),
            ImageReference.Parse("index.docker.io/nginx:1"),
        ];

        foreach (ImageReference spelling in spellings)
        {
            Assert.Equal(spellings[0], spelling);
            Assert.Equal(spellings[0].GetHashCode(), spelling.GetHashCode());
        }
    }

    [Theory]
    [InlineData("nginx", RegistryProvider.DockerHub)]
    [InlineData("index.docker.io/user/app", RegistryProvider.DockerHub)]
    [InlineData("ghcr.io/owner/app:1", RegistryProvider.Ghcr)]
    [InlineData("registry.gitlab.com/group/project", RegistryProvider.GitLab)]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", RegistryProvider.Ecr)]
    [InlineData("team.azurecr.io/app", RegistryProvider.Acr)]
    [InlineData("registry.digitalocean.com/acct/app", RegistryProvider.DigitalOcean)]
    [InlineData("quay.io/coreos/etcd", RegistryProvider.Quay)]
    [InlineData("localhost:5000/app", RegistryProvider.Generic)]
    [InlineData("foo_bar.com/app", RegistryProvider.Generic)]
    public void Provider_ParsedReference_ComesFromRegistryHost(string input, RegistryProvider provider)
    {
        Assert.Equal(provider, ImageReference.Parse(input).Provider);
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => ImageReference.Parse(null!));
    }

    [Fact]
    public void TryParse_Null_ReturnsEmptyError()
    {
        bool parsed = ImageReference.TryParse(null!, out ImageReference? reference, out ImageReferenceError? error);

        Assert.False(parsed);
        Assert.Null(reference);
        Assert.Equal(ImageReferenceErrorKind.Empty, error!.Kind);
    }

    public static TheoryData<string, string> HostileInputs => new()
    {
        { "10k lowercase letters", new string('a', 10_000) },
        { "10k path components", string.Concat(Enumerable.Repeat("a/", 5_000)) + "a" },
        { "dash runs ending badly", string.Concat(Enumerable.Repeat("a-", 5_000)) + "!" },
        { "separator soup", string.Concat(Enumerable.Repeat("a._-__", 2_000)) },
        { "host labels", string.Concat(Enumerable.Repeat("a-", 5_000)) + ".com/app" },
        { "ipv6 colons", "[" + new string(':', 10_000) + "]/app" },
        { "colons", string.Concat(Enumerable.Repeat("a:", 5_000)) },
        { "at signs", string.Concat(Enumerable.Repeat("a@", 5_000)) },
        { "long tag", "nginx:" + new string('t', 10_000) },
        { "long digest", "nginx@sha256:" + new string('f', 10_000) },
        { "long algorithm", "nginx@" + string.Concat(Enumerable.Repeat("a+", 5_000)) + "b:" + new string('f', 64) },
        { "uppercase", new string('A', 10_000) },
        { "100k mixed", string.Concat(Enumerable.Repeat("Ab-_.:/@[]", 10_000)) },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public void TryParse_HostileLongInput_FinishesQuickly(string description, string input)
    {
        _ = description;
        _ = ImageReference.TryParse(input, out _, out _);

        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            _ = ImageReference.TryParse(input, out _, out _);
        }

        stopwatch.Stop();

        // Linear work is well under a millisecond per call; anything quadratic on 10k characters
        // would take far longer than this generous bound even on a loaded CI machine.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"20 parses took {stopwatch.Elapsed}");
    }

    private static bool IsHexIdentifier(string s) =>
        s.Length == 64 && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
