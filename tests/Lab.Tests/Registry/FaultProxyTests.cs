using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing.Http;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// The fault proxy itself: without rules it is invisible (the real registry's answers pass
// unchanged, auth included), and a rule fires exactly as often as it says.
[Collection(LabCollection.Name)]
public sealed class FaultProxyTests(LabFixture lab)
{
    [Fact]
    public async Task NoRules_ResolveThroughProxy_SameDigestAsDirect()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await FaultProxy.StartAsync(new Uri(lab.Env["LAB_REGISTRY_URL"]));
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "proxy/plain", BasicLogin(lab), cts.Token);
        var viaProxy = Cluster.Core.Images.ImageReference.Parse($"{proxy.Host}/{image.Repository}:{image.Tag}");

        var result = await client.ResolveAsync(new RegistryHost(proxy.Host, Insecure: true), viaProxy, BasicLogin(lab), cts.Token);
        var probed = await client.ProbeDigestAsync(new RegistryHost(proxy.Host, Insecure: true), viaProxy, BasicLogin(lab), cts.Token);

        AssertOk(result.Check);
        Assert.Equal(pushed, result.Value!.Digest);
        AssertOk(probed.Check);
        Assert.Equal(pushed, probed.Value!.Digest);
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.HadAuthorization && r.Status == 200 && r.Fault is null);
        Assert.Contains(proxy.Requests, r => r.Method == "HEAD" && r.HadAuthorization && r.Status == 200 && r.Fault is null);
    }

    [Fact]
    public async Task TooManyRequestsOnce_FiresOnceThenForwards()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await FaultProxy.StartAsync(new Uri(lab.Env["LAB_REGISTRY_URL"]));
        var rule = FaultRule.TooManyRequests("7", times: 1);
        proxy.Add(rule);
        using var http = new HttpClient();

        using var first = await http.GetAsync(new Uri(proxy.Url, "v2/"), cts.Token);
        using var second = await http.GetAsync(new Uri(proxy.Url, "v2/"), cts.Token);

        Assert.Equal(429, (int)first.StatusCode);
        Assert.Equal("7", first.Headers.GetValues("Retry-After").Single());
        Assert.Equal(401, (int)second.StatusCode); // the real htpasswd registry's own answer
        Assert.Equal(0, rule.Remaining);
    }
}
