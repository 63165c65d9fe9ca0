using System.Globalization;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing.Http;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// What picky registries and proxies do (issue #13 items 3, 4, 6, 7), produced on demand by a
// FaultProxy in front of the lab's REAL htpasswd registry: HEAD refused while GET works, 429 with
// Retry-After, Docker-Content-Digest dropped or falsified, RateLimit headers.
[Collection(LabCollection.Name)]
public sealed class RegistryFaultTests(LabFixture lab)
{
    [Theory]
    [InlineData(404)]
    [InlineData(405)]
    [InlineData(403)]
    public async Task Resolve_RegistryRefusesHead_ResolvesTheTagByGet(int status)
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.RefuseManifestHead(status));
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/head", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), cts.Token);
        var probed = await client.ProbeDigestAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), cts.Token);

        AssertOk(resolved.Check);
        Assert.Equal(pushed, resolved.Value!.Digest);
        AssertOk(probed.Check);
        Assert.Equal(pushed, probed.Value!.Digest);
        Assert.Contains($"HEAD refused with {status}", probed.Check.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Requests, r => r.Method == "HEAD" && r.Status == status);
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery.Contains("/manifests/", StringComparison.Ordinal) && r.Status == 200);
    }

    [Fact]
    public async Task Probe_MissingTagWithHeadRefused_NotFoundComesFromTheGet()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.RefuseManifestHead(405));
        using var client = new RegistryClient();
        var missing = ImageReference.Parse($"{proxy.Host}/fault/missing:{UniqueName("t")}");

        var probed = await client.ProbeDigestAsync(Host(proxy), missing, BasicLogin(lab), cts.Token);

        AssertFailure(probed.Check, RegistryFailureKind.NotFound);
        Assert.Contains(proxy.Requests, r => r.Method == "GET" && r.Status == 404 && r.Fault is null);
    }

    [Fact]
    public async Task Resolve_DigestHeaderFalsified_ReportedAsTheDisagreementNotPinned()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        var fake = "sha256:" + new string('a', 64);
        proxy.Add(FaultRule.FalsifyDigestHeader(fake));
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/digest", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), cts.Token);

        AssertFailure(resolved.Check, RegistryFailureKind.Other);
        Assert.Null(resolved.Value);
        Assert.Contains($"sent Docker-Content-Digest {fake}", resolved.Check.Message, StringComparison.Ordinal);
        Assert.Contains($"the manifest bytes it served hash to {pushed}", resolved.Check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_DigestHeaderDropped_PinsTheDigestOfTheBytes()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.DropDigestHeader());
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/nodigest", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), cts.Token);

        AssertOk(resolved.Check);
        Assert.Equal(pushed, resolved.Value!.Digest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resolve_429OnceWithRetryAfter_RetriedWithinTheDeadline(bool asHttpDate)
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/ratelimit", BasicLogin(lab), cts.Token);
        var retryAfter = asHttpDate ? DateTimeOffset.UtcNow.AddSeconds(2).ToString("r", CultureInfo.InvariantCulture) : "1";
        proxy.Add(FaultRule.TooManyRequests(retryAfter, times: 1, FaultRule.ManifestRequest));

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), DateTimeOffset.UtcNow.AddMinutes(1), cts.Token);

        AssertOk(resolved.Check);
        Assert.Equal(pushed, resolved.Value!.Digest);
        Assert.Single(proxy.Requests, r => r.Status == 429);
    }

    [Fact]
    public async Task Resolve_429WithRetryAfterPastTheDeadline_FailsAtOnceCarryingTheWait()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.TooManyRequests("600", times: int.MaxValue, FaultRule.ManifestRequest));
        using var client = new RegistryClient();
        var (image, _) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/ratelimit", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), DateTimeOffset.UtcNow.AddSeconds(30), cts.Token);

        AssertFailure(resolved.Check, RegistryFailureKind.RateLimited);
        Assert.Equal(TimeSpan.FromSeconds(600), resolved.Check.RetryAfter);
        Assert.Contains($"rate limited by {proxy.Host}", resolved.Check.Message, StringComparison.Ordinal);
        Assert.Contains("retry after 600 s", resolved.Check.Message, StringComparison.Ordinal);
        Assert.Contains("would pass the deadline", resolved.Check.Message, StringComparison.Ordinal);
        Assert.Single(proxy.Requests, r => r.Status == 429);
    }

    [Fact]
    public async Task Resolve_429Always_StopsAfterTheBoundedNumberOfTries()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.TooManyRequests("0", times: int.MaxValue, FaultRule.ManifestRequest));
        using var client = new RegistryClient();
        var image = ImageReference.Parse($"{proxy.Host}/fault/always:1");

        var resolved = await client.ResolveAsync(Host(proxy), image, BasicLogin(lab), DateTimeOffset.UtcNow.AddMinutes(1), cts.Token);

        AssertFailure(resolved.Check, RegistryFailureKind.RateLimited);
        Assert.Contains($"still rate limited after {RegistryRetry.MaxAttempts} tries", resolved.Check.Message, StringComparison.Ordinal);
        Assert.Equal(RegistryRetry.MaxAttempts, proxy.Requests.Count(r => r.Status == 429));
    }

    [Fact]
    public async Task Resolve_RateLimitHeaders_AreReadable()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var proxy = await StartProxyAsync();
        proxy.Add(FaultRule.RewriteResponse("Docker Hub's RateLimit headers", FaultRule.ManifestRequest, h =>
        {
            h["RateLimit-Limit"] = "100;w=21600";
            h["RateLimit-Remaining"] = "76;w=21600";
        }));
        using var client = new RegistryClient();
        var (image, _) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/ratelimit", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Host(proxy), Via(proxy, image), BasicLogin(lab), cts.Token);

        AssertOk(resolved.Check);
        Assert.Equal(new RegistryRateLimit(100, 76, TimeSpan.FromSeconds(21600)), resolved.Check.RateLimit);
    }

    [Fact]
    public async Task Resolve_WithoutCredentialsOnLoginRegistry_SaysNoCredentialSaved()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var (image, _) = await PushNewImageAsync(lab, lab.Env.Registry, "fault/private", BasicLogin(lab), cts.Token);

        var resolved = await client.ResolveAsync(Basic(lab), image, login: null, cts.Token);

        AssertFailure(resolved.Check, RegistryFailureKind.Unauthorized);
        Assert.StartsWith($"unauthorized: no credential saved for {lab.Env.Registry}", resolved.Check.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS", resolved.Check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_PublicImageOnTokenRegistryWithoutCredentials_AnonymousTokenFlow()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("public/*"));
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.TokenRegistry, "public/web", pusher, cts.Token);
        var before = lab.Tokens.AnonymousGrants;
        lab.Tokens.AnonymousGrants = [TokenGrant.Pull("public/*")];
        try
        {
            var resolved = await client.ResolveAsync(Token(lab), image, login: null, cts.Token);
            var login = await client.CheckLoginAsync(Token(lab), login: null, cts.Token);

            AssertOk(resolved.Check);
            Assert.Equal(pushed, resolved.Value!.Digest);
            AssertOk(login);
        }
        finally
        {
            lab.Tokens.AnonymousGrants = before;
        }
    }

    private async Task<FaultProxy> StartProxyAsync() => await FaultProxy.StartAsync(new Uri(lab.Env["LAB_REGISTRY_URL"]));

    private static RegistryHost Host(FaultProxy proxy) => new(proxy.Host, Insecure: true);

    private static ImageReference Via(FaultProxy proxy, ImageReference image) => ImageReference.Parse($"{proxy.Host}/{image.Repository}:{image.Tag}");
}
