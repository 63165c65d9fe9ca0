using System.Net;
using Cluster.Core.Images;
using Cluster.Leader.Apps;

namespace Cluster.Leader.Tests.Apps;

// The repository of registry-less images: swarm's executor tries to pull a task's image before
// every start (and only logs the failure), so its registry host must fail that pull at once,
// with no DNS lookup (a name made the engine wait for the resolver: 40 s per task start on the
// lab, whose DNS server never answers), and be served by nobody.
public sealed class AppSourcesTests
{
    [Fact]
    public void LocalRepository_RegistryIsALoopbackIpLiteralWithAPort_SoThePullNeedsNoDns()
    {
        var image = ImageReference.Parse($"{AppSources.LocalRepository}/web:0123456789ab-d1");

        Assert.True(IPEndPoint.TryParse(image.Registry, out var endpoint), $"'{image.Registry}' is not an IP literal with a port");
        Assert.True(IPAddress.IsLoopback(endpoint!.Address));
        Assert.InRange(endpoint.Port, 1, 1023);
        Assert.Equal("cluster-build/web", image.Repository);
        Assert.Equal($"{AppSources.LocalRepository}/web:0123456789ab-d1", image.Canonical);
    }
}
