using Cluster.NodeAgent.Assignments;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.Credentials;

public sealed class NodeCredentialTests
{
    [Fact]
    public void ToString_AnyCredential_NeverShowsTheSecret()
    {
        var credential = Node("c1", "ghcr.io/team", secret: "ghp_supersecret", name: "ghcr-ro");

        Assert.DoesNotContain("ghp_supersecret", credential.ToString(), StringComparison.Ordinal);
        Assert.Contains("ghcr-ro", credential.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_supersecret", credential.ToLogin().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_Snapshot_NeverShowsASecret()
    {
        var snapshot = AssignmentSnapshot.Empty with
        {
            Credentials = System.Collections.Immutable.ImmutableDictionary.CreateRange([KeyValuePair.Create("c1", Node("c1", "ghcr.io", secret: "ghp_supersecret"))]),
        };

        Assert.DoesNotContain("ghp_supersecret", snapshot.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("registry.example:5000/team", "registry.example:5000")]
    [InlineData("docker.io/acme", "https://index.docker.io/v1/")]
    public void From_NoServerAddress_FallsBackToTheRegistryHost(string match, string expected)
    {
        var proto = Pull("c1", match, 1);
        proto.ServerAddress = "";
        proto.Name = "";

        var credential = Cluster.NodeAgent.Credentials.NodeCredential.From(proto);

        Assert.Equal(expected, credential.ServerAddress);
        Assert.Equal("c1", credential.Name);
    }
}
