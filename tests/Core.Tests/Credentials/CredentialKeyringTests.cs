using Cluster.Core.Credentials;
using Cluster.Core.Images;

namespace Cluster.Core.Tests.Credentials;

public sealed class CredentialKeyringTests
{
    private static CredentialKeyring<string> Ring(params string[] keys)
    {
        var ring = new CredentialKeyring<string>();
        foreach (var key in keys)
        {
            ring.Add(key, key);
        }

        return ring;
    }

    [Fact]
    public void Lookup_PathPrefixes_MostSpecificFirst()
    {
        var ring = Ring("quay.io", "quay.io/team", "quay.io/team/app");

        Assert.Equal(["quay.io/team/app", "quay.io/team", "quay.io"], ring.Lookup(ImageReference.Parse("quay.io/team/app:1")));
        Assert.Equal(["quay.io/team", "quay.io"], ring.Lookup(ImageReference.Parse("quay.io/team/other")));
        Assert.Equal(["quay.io"], ring.Lookup(ImageReference.Parse("quay.io/teamx/app")));
    }

    [Theory]
    [InlineData("docker.io")]
    [InlineData("index.docker.io")]
    [InlineData("registry-1.docker.io")]
    [InlineData("https://index.docker.io/v1/")]
    public void Lookup_DockerHubAliases_AreOneRegistry(string key)
    {
        var ring = Ring(key);

        Assert.Single(ring.Lookup(ImageReference.Parse("nginx")));
        Assert.Single(ring.Lookup(ImageReference.Parse("index.docker.io/user/app")));
    }

    [Fact]
    public void Lookup_Port_IsPartOfTheHost()
    {
        var ring = Ring("10.0.0.5:5000", "10.0.0.5");

        Assert.Equal(["10.0.0.5:5000"], ring.Lookup(ImageReference.Parse("10.0.0.5:5000/app")));
        Assert.Empty(ring.Lookup(ImageReference.Parse("10.0.0.6:5000/app")));
    }

    [Fact]
    public void Lookup_Wildcard_MatchesSubdomainsAfterExactHosts()
    {
        var ring = Ring("*.azurecr.io", "acme.azurecr.io");

        Assert.Equal(["acme.azurecr.io", "*.azurecr.io"], ring.Lookup(ImageReference.Parse("acme.azurecr.io/web")));
        Assert.Equal(["*.azurecr.io"], ring.Lookup(ImageReference.Parse("other.azurecr.io/web")));
        Assert.Empty(ring.Lookup(ImageReference.Parse("azurecr.io/web")));
    }

    [Fact]
    public void Lookup_HostCase_IsIgnored()
    {
        var ring = Ring("GHCR.io/Acme");

        Assert.Empty(ring.Lookup(ImageReference.Parse("ghcr.io/acme/web")));
        Assert.Single(ring.Lookup("ghcr.io", "Acme/web"));
    }
}
