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
        Assert.True(ProviderRules.TryNormalizeUrl(provider, url, out var normalized, out var error), error);
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
        Assert.False(ProviderRules.TryNormalizeUrl(provider, url, out _, out var error));
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
        Assert.False(ProviderRules.TryNormalizeUrl(RegistryProvider.Generic, url, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void EngineServerAddress_DockerHub_IsTheLegacyIndexAddress()
    {
        Assert.Equal("https://index.docker.io/v1/", ProviderRules.EngineServerAddress("docker.io"));
        Assert.Equal("ghcr.io", ProviderRules.EngineServerAddress("ghcr.io"));
    }
}
