using Cluster.Core.Credentials;
using Cluster.Core.Images;

namespace Cluster.Core.Tests.Credentials;

public sealed class ProviderRulesTests
{
    [Theory]
    [InlineData(RegistryProvider.DockerHub, "docker.io", "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "index.docker.io", "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "https://index.docker.io/v1/", "docker.io")]
    [InlineData(RegistryProvider.Ghcr, "ghcr.io", "ghcr.io")]
    [InlineData(RegistryProvider.Ghcr, "https://ghcr.io/acme/", "ghcr.io/acme")]
    [InlineData(RegistryProvider.GitLab, "registry.gitlab.com/group", "registry.gitlab.com/group")]
    [InlineData(RegistryProvider.GitLab, "registry.example.com", "registry.example.com")]
    [InlineData(RegistryProvider.Ecr, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")]
    [InlineData(RegistryProvider.Acr, "acme.azurecr.io", "acme.azurecr.io")]
    [InlineData(RegistryProvider.DigitalOcean, "registry.digitalocean.com/acme", "registry.digitalocean.com/acme")]
    [InlineData(RegistryProvider.Quay, "quay.io/team", "quay.io/team")]
    [InlineData(RegistryProvider.Generic, "10.77.0.254:5000", "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "[::1]:5000", "[::1]:5000")]
    public void TryNormalizeUrl_FittingUrl_Normalizes(RegistryProvider provider, string url, string expected)
    {
        Assert.True(ProviderRules.TryNormalizeUrl(provider, url, insecure: false, out var normalized, out var error), error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData(RegistryProvider.Ecr, "ghcr.io", "use --provider ghcr")]
    [InlineData(RegistryProvider.Ghcr, "quay.io", "use --provider quay")]
    [InlineData(RegistryProvider.DockerHub, "10.0.0.5:5000", "Docker Hub is docker.io")]
    [InlineData(RegistryProvider.GitLab, "ghcr.io", "use --provider ghcr")]
    [InlineData(RegistryProvider.Acr, "azurecr.io", "<name>.azurecr.io")]
    public void TryNormalizeUrl_OtherProvidersHost_SaysWhichProviderFits(RegistryProvider provider, string url, string expected)
    {
        Assert.False(ProviderRules.TryNormalizeUrl(provider, url, insecure: false, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ftp://host")]
    [InlineData("not a url")]
    [InlineData("host:port/x")]
    [InlineData("UPPER.example.com/Path")]
    [InlineData("/just/a/path")]
    public void TryNormalizeUrl_Malformed_IsRefusedWithAReason(string url)
    {
        Assert.False(ProviderRules.TryNormalizeUrl(RegistryProvider.Generic, url, insecure: false, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    // Every spelling of a registry a user may paste (issue #13 item 5): each reduces to the host
    // images are named with, or keeps a genuine path scope.
    [Theory]
    [InlineData(RegistryProvider.Generic, "http://10.77.0.254:5000/v2/", true, "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "http://10.77.0.254:5000/v2", true, "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "https://10.77.0.254:5000/v2/", false, "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "10.77.0.254:5000/v2/", false, "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "10.77.0.254:5000/", false, "10.77.0.254:5000")]
    [InlineData(RegistryProvider.Generic, "HTTPS://Registry.Example.COM/", false, "registry.example.com")]
    [InlineData(RegistryProvider.Generic, "registry.example.com:443", false, "registry.example.com")]
    [InlineData(RegistryProvider.Generic, "https://registry.example.com:443/v2/", false, "registry.example.com")]
    [InlineData(RegistryProvider.Generic, "registry.example.com:5443", false, "registry.example.com:5443")]
    [InlineData(RegistryProvider.Generic, "http://localhost:5000/v2/", false, "localhost:5000")]
    [InlineData(RegistryProvider.Generic, "http://127.0.0.1:5000", false, "127.0.0.1:5000")]
    [InlineData(RegistryProvider.DockerHub, "https://index.docker.io/v1/", false, "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "https://registry-1.docker.io/v2/", false, "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "registry-1.docker.io", false, "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "https://registry.hub.docker.com", false, "docker.io")]
    [InlineData(RegistryProvider.DockerHub, "Docker.IO", false, "docker.io")]
    [InlineData(RegistryProvider.Ghcr, "https://GHCR.io/acme/", false, "ghcr.io/acme")]
    [InlineData(RegistryProvider.Ghcr, "ghcr.io//acme//", false, "ghcr.io/acme")]
    [InlineData(RegistryProvider.GitLab, "https://registry.gitlab.com/group/sub/", false, "registry.gitlab.com/group/sub")]
    public void TryNormalizeUrl_PastedSpelling_IsTheRegistryHost(RegistryProvider provider, string url, bool insecure, string expected)
    {
        Assert.True(ProviderRules.TryNormalizeUrl(provider, url, insecure, out var normalized, out var error), error);
        Assert.Equal(expected, normalized);
    }

    // What cannot be a registry is refused at save time, with the reason.
    [Theory]
    [InlineData("http://10.77.0.254:5000/v2/", false, "is plain HTTP; add --insecure")]
    [InlineData("http://registry.example.com", false, "is plain HTTP; add --insecure")]
    [InlineData("https://10.77.0.254:5000/v2/acme/web/manifests/1.0", false, "points into the registry API")]
    [InlineData("https://registry.example.com/v2/_catalog", true, "points into the registry API")]
    [InlineData("https://registry.example.com/?x=1", false, "query or fragment")]
    [InlineData("https://registry.example.com/#top", false, "query or fragment")]
    [InlineData("ssh://registry.example.com", false, "has scheme 'ssh'")]
    public void TryNormalizeUrl_NotARegistry_RefusedWithTheReason(string url, bool insecure, string expected)
    {
        Assert.False(ProviderRules.TryNormalizeUrl(RegistryProvider.Generic, url, insecure, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalizeUrl_UserInfo_RefusedWithoutEchoingIt()
    {
        Assert.False(ProviderRules.TryNormalizeUrl(RegistryProvider.Generic, "https://bob:s3cret-pw@registry.example.com/", insecure: false, out _, out var error));
        Assert.Contains("must not contain a user name or password", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EngineServerAddress_DockerHub_IsTheLegacyIndexAddress()
    {
        Assert.Equal("https://index.docker.io/v1/", ProviderRules.EngineServerAddress("docker.io"));
        Assert.Equal("ghcr.io", ProviderRules.EngineServerAddress("ghcr.io"));
    }
}
