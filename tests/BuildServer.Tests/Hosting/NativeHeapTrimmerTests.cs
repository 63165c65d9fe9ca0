using Cluster.BuildServer.Hosting;
using Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.BuildServer.Tests.Hosting;

// The builder idles between builds (issue #14: 40 MB target) and hands freed native memory back
// to the system like the leader: its host, as BuilderHost runs it, holds exactly one trimmer.
public sealed class NativeHeapTrimmerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-builder-trimmer-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Builder_HostsTheTrimmerOnce()
    {
        var options = new BuilderOptions { Leader = "127.0.0.1:1", JoinToken = "", WorkDir = _dir, DockerHost = new Uri("unix:///nonexistent/docker.sock") };
        using var host = BuilderHost.CreateBuilder(options).Build();

        Assert.Single(host.Services.GetServices<IHostedService>().OfType<NativeHeapTrimmer>());
    }
}
