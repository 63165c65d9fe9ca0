using Cluster.Core.Images;

namespace Cluster.Core.Tests.Images;

public sealed class RegistryProvidersTests
{
    [Theory]
    [InlineData("docker.io", RegistryProvider.DockerHub)]
    [InlineData("index.docker.io", RegistryProvider.DockerHub)]
    [InlineData("registry-1.docker.io", RegistryProvider.DockerHub)]
    [InlineData("DOCKER.IO", RegistryProvider.DockerHub)]
    [InlineData("docker.io:443", RegistryProvider.DockerHub)]
    [InlineData("docker.io:5000", RegistryProvider.Generic)]
    [InlineData("ghcr.io", RegistryProvider.Ghcr)]
    [InlineData("GHCR.io", RegistryProvider.Ghcr)]
    [InlineData("ghcr.io:443", RegistryProvider.Ghcr)]
    [InlineData("ghcr.io:8443", RegistryProvider.Generic)]
    [InlineData("ghcr.io.example.com", RegistryProvider.Generic)]
    [InlineData("registry.gitlab.com", RegistryProvider.GitLab)]
    [InlineData("gitlab.com", RegistryProvider.Generic)]
    [InlineData("registry.gitlab.example.com", RegistryProvider.Generic)]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com:443", RegistryProvider.Ecr)]
    [InlineData("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr-ecr.us-east-1.on.aws", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", RegistryProvider.Ecr)]
    [InlineData("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", RegistryProvider.Ecr)]
    [InlineData("12345678901.dkr.ecr.us-east-1.amazonaws.com", RegistryProvider.Generic)]
    [InlineData("1234567890123.dkr.ecr.us-east-1.amazonaws.com", RegistryProvider.Generic)]
    [InlineData("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", RegistryProvider.Generic)]
    [InlineData("123456789012.dkr.ecr.amazonaws.com", RegistryProvider.Generic)]
    [InlineData("public.ecr.aws", RegistryProvider.Generic)]
    [InlineData("myregistry.azurecr.io", RegistryProvider.Acr)]
    [InlineData("MyRegistry.AzureCR.io", RegistryProvider.Acr)]
    [InlineData("myregistry-abcdefgh123.azurecr.io", RegistryProvider.Acr)]
    [InlineData("myregistry.azurecr.cn", RegistryProvider.Acr)]
    [InlineData("myregistry.azurecr.us", RegistryProvider.Acr)]
    [InlineData("azurecr.io", RegistryProvider.Generic)]
    [InlineData("a.b.azurecr.io", RegistryProvider.Generic)]
    [InlineData("myregistry.azurecr.io.example.com", RegistryProvider.Generic)]
    [InlineData("registry.digitalocean.com", RegistryProvider.DigitalOcean)]
    [InlineData("quay.io", RegistryProvider.Quay)]
    [InlineData("quay.io:443", RegistryProvider.Quay)]
    [InlineData("", RegistryProvider.Generic)]
    [InlineData("localhost", RegistryProvider.Generic)]
    [InlineData("localhost:5000", RegistryProvider.Generic)]
    [InlineData("[::1]:5000", RegistryProvider.Generic)]
    [InlineData("192.168.1.1:5000", RegistryProvider.Generic)]
    [InlineData("example.com", RegistryProvider.Generic)]
    public void FromHost_Host_RecognisesProvider(string host, RegistryProvider provider)
    {
        Assert.Equal(provider, RegistryProviders.FromHost(host));
    }

    [Fact]
    public void FromHost_VeryLongHost_IsGeneric()
    {
        Assert.Equal(RegistryProvider.Generic, RegistryProviders.FromHost(new string('1', 10_000) + ".azurecr.io"));
    }

    [Theory]
    [InlineData(RegistryProvider.Generic, "generic")]
    [InlineData(RegistryProvider.DockerHub, "dockerhub")]
    [InlineData(RegistryProvider.Ghcr, "ghcr")]
    [InlineData(RegistryProvider.GitLab, "gitlab")]
    [InlineData(RegistryProvider.Ecr, "ecr")]
    [InlineData(RegistryProvider.Acr, "acr")]
    [InlineData(RegistryProvider.DigitalOcean, "digitalocean")]
    [InlineData(RegistryProvider.Quay, "quay")]
    public void CliName_Provider_RoundTripsThroughTryParseCliName(RegistryProvider provider, string name)
    {
        Assert.Equal(name, RegistryProviders.CliName(provider));
        Assert.True(RegistryProviders.TryParseCliName(name, out RegistryProvider parsed));
        Assert.Equal(provider, parsed);
        Assert.True(RegistryProviders.TryParseCliName(name.ToUpperInvariant(), out RegistryProvider upper));
        Assert.Equal(provider, upper);
    }

    [Fact]
    public void CliName_EveryProvider_HasADistinctName()
    {
        RegistryProvider[] providers = Enum.GetValues<RegistryProvider>();

        Assert.Equal(providers.Length, providers.Select(RegistryProviders.CliName).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void CliName_UndefinedProvider_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RegistryProviders.CliName((RegistryProvider)99));
    }

    [Theory]
    [InlineData("")]
    [InlineData("docker")]
    [InlineData("docker.io")]
    [InlineData(" ghcr")]
    public void TryParseCliName_UnknownName_ReturnsFalse(string name)
    {
        Assert.False(RegistryProviders.TryParseCliName(name, out RegistryProvider provider));
        Assert.Equal(RegistryProvider.Generic, provider);
    }
}
