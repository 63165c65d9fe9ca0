using System.Text.Json;

namespace Cluster.Core.Tests.Cli;

public sealed class ImageParseCommandTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, null, "docker.io/library/nginx")]
    [InlineData("index.docker.io/user/app:1.0", "docker.io", "user/app", "1.0", null, "docker.io/user/app:1.0")]
    [InlineData("ghcr.io/acme/web:1.0.7", "ghcr.io", "acme/web", "1.0.7", null, "ghcr.io/acme/web:1.0.7")]
    [InlineData("localhost:5000/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "localhost:5000", "app", null, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "localhost:5000/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("[::1]:5000/a/b:t", "[::1]:5000", "a/b", "t", null, "[::1]:5000/a/b:t")]
    public async Task Parse_Json_PrintsExactlyTheInterfaceFields(string input, string registry, string repository, string? tag, string? digest, string canonical)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("image", "parse", input, "-o", "json");

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(registry, root.GetProperty("registry").GetString());
        Assert.Equal(repository, root.GetProperty("repository").GetString());
        Assert.Equal(canonical, root.GetProperty("canonical").GetString());
        AssertStringOrNull(tag, root.GetProperty("tag"));
        AssertStringOrNull(digest, root.GetProperty("digest"));
    }

    [Theory]
    [InlineData("ghcr.io/acme/web", "ghcr")]
    [InlineData("registry.gitlab.com/group/project/image", "gitlab")]
    [InlineData("123456789012.dkr.ecr.eu-west-1.amazonaws.com/image", "ecr")]
    [InlineData("myregistry.azurecr.io/image", "acr")]
    [InlineData("registry.digitalocean.com/registry/image", "digitalocean")]
    [InlineData("quay.io/username/image", "quay")]
    [InlineData("username/image", "dockerhub")]
    [InlineData("10.0.0.5:5000/image", "generic")]
    public async Task Parse_SeedDocumentFormats_NamesTheProvider(string input, string provider)
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("image", "parse", input, "-o", "json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(provider, doc.RootElement.GetProperty("provider").GetString());
    }

    [Theory]
    [InlineData("Foo/Bar", "lowercase")]
    [InlineData("nginx:", "tag")]
    [InlineData("nginx@sha256:abc", "digest")]
    [InlineData("", "empty")]
    public async Task Parse_Invalid_ExitsNonZeroSayingWhichPartIsWrong(string input, string part)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("image", "parse", input, "-o", "json");

        Assert.NotEqual(0, exit);
        Assert.Equal("", stdout);
        Assert.Contains(part, stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Parse_Text_ShowsCanonicalAndProvider()
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("image", "parse", "nginx");

        Assert.Equal(0, exit);
        Assert.Contains("canonical:  docker.io/library/nginx", stdout, StringComparison.Ordinal);
        Assert.Contains("provider:   dockerhub", stdout, StringComparison.Ordinal);
    }

    private static void AssertStringOrNull(string? expected, JsonElement actual)
    {
        if (expected is null)
        {
            Assert.Equal(JsonValueKind.Null, actual.ValueKind);
        }
        else
        {
            Assert.Equal(expected, actual.GetString());
        }
    }
}
