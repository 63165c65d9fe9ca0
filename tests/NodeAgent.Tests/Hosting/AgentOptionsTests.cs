using Cluster.NodeAgent.Hosting;

namespace Cluster.NodeAgent.Tests.Hosting;

public sealed class AgentOptionsTests
{
    private static readonly AgentOptions Valid = new()
    {
        Leader = "10.0.0.1:7443",
        JoinToken = "CLSTR1-JOIN-secret-part",
        StateDir = "/var/lib/cluster-agent",
        DockerHost = new Uri("unix:///var/run/docker.sock"),
    };

    [Fact]
    public void Validate_Defaults_NoProblem()
    {
        Assert.Empty(Valid.Validate());
        Assert.False(Valid.WriteDockerConfig);
        Assert.Equal(TimeSpan.FromMinutes(10), Valid.CredentialRecheckInterval);
    }

    [Fact]
    public void Validate_BadValues_NamesEachOne()
    {
        var problems = (Valid with { Leader = "nohost", StateDir = "relative", SessionStartTimeout = TimeSpan.Zero }).Validate().ToList();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("--leader 'nohost'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--state-dir", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("SessionStartTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void ToString_Always_LeavesTheTokenOut()
    {
        Assert.DoesNotContain("secret-part", Valid.ToString(), StringComparison.Ordinal);
    }
}
