using Cluster.Hosting;
using Cluster.NodeAgent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.NodeAgent.Tests.Hosting;

// The agent idles on every node (issue #14: 40 MB target) and hands freed native memory back to
// the system like the leader: its host, as AgentHost runs it, holds exactly one trimmer.
public sealed class NativeHeapTrimmerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-agent-trimmer-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Agent_HostsTheTrimmerOnce()
    {
        var options = new AgentOptions { Leader = "127.0.0.1:1", JoinToken = "x", StateDir = _dir, DockerHost = new Uri("unix:///nonexistent/docker.sock") };
        using var host = AgentHost.CreateBuilder(options).Build();

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<NativeHeapTrimmer>());
    }
}
