using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using Microsoft.AspNetCore.Http;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// Transport failures come back typed and fast: nothing listening, nobody at the address, TLS
// spoken to a plain-HTTP port, an untrusted certificate, and a registry that rate-limits.
// Waits are bounded only by cancellation tokens; nothing asserts on timing.
[Collection(LabCollection.Name)]
public sealed class RegistryFailureTests(LabFixture lab)
{
    [Fact]
    public async Task CheckLogin_NothingListening_UnreachableConnectionRefused()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var host = new RegistryHost($"{lab.Env.HostIp}:5999", Insecure: true);
        var login = new RegistryLogin(host.Host, "someone", "pw-" + Guid.NewGuid().ToString("N"));

        var check = await client.CheckLoginAsync(host, login, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unreachable);
        Assert.Equal($"registry unreachable: connection refused at {lab.Env.HostIp}:5999", check.Message);
        AssertNoSecret(check, login.Secret);
    }

    // 10.77.0.200 is on the lab bridge's subnet, but no namespace holds it: nothing answers ARP,
    // so only the connect timeout (or the kernel's "no route") ends the attempt.
    [Fact]
    public async Task CheckLogin_AddressWithNoHost_UnreachableWithinConnectTimeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = new RegistryClient(new RegistryClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1) });
        var host = new RegistryHost("10.77.0.200:5000", Insecure: true);

        var check = await client.CheckLoginAsync(host, BasicLogin(lab), cts.Token);

        AssertFailure(check, RegistryFailureKind.Unreachable);
        Assert.StartsWith("registry unreachable: ", check.Message, StringComparison.Ordinal);
        Assert.Contains("10.77.0.200:5000", check.Message, StringComparison.Ordinal);
        AssertNoSecret(check, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task CheckLogin_PlainHttpRegistryWithoutInsecure_TlsWithInsecureHint()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var host = new RegistryHost(lab.Env.Registry, Insecure: false);

        var check = await client.CheckLoginAsync(host, BasicLogin(lab), cts.Token);

        AssertFailure(check, RegistryFailureKind.Tls);
        Assert.StartsWith($"TLS failure talking to {lab.Env.Registry}: ", check.Message, StringComparison.Ordinal);
        Assert.Contains("if it serves plain HTTP or a self-signed certificate, add the registry with --insecure", check.Message, StringComparison.Ordinal);
        AssertNoSecret(check, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task CheckLogin_SelfSignedCertificateWithoutInsecure_Tls()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var certificate = StubServer.SelfSignedCertificate();
        await using var stub = await StubServer.StartAsync(AnonymousRegistry, certificate);
        using var client = new RegistryClient();

        var check = await client.CheckLoginAsync(new RegistryHost(stub.Host, Insecure: false), login: null, cts.Token);

        AssertFailure(check, RegistryFailureKind.Tls);
        Assert.Contains("not signed by a trusted authority", check.Message, StringComparison.Ordinal);
        Assert.Contains(stub.Host, check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckLogin_SelfSignedCertificateWithInsecure_Ok()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var certificate = StubServer.SelfSignedCertificate();
        await using var stub = await StubServer.StartAsync(AnonymousRegistry, certificate);
        using var client = new RegistryClient();

        var check = await client.CheckLoginAsync(new RegistryHost(stub.Host, Insecure: true), login: null, cts.Token);

        AssertOk(check);
    }

    [Fact]
    public async Task Resolve_RegistryAnswers429_RateLimitedWithRetryAfter()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var stub = await StubServer.StartAsync(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "17";
            await context.Response.WriteAsync("""{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}""");
        });
        using var client = new RegistryClient();
        // Loopback: TLS is tried first, then plain HTTP because the port does not speak TLS.
        var host = new RegistryHost(stub.Host, Insecure: false);

        var result = await client.ResolveAsync(host, ImageReference.Parse($"{stub.Host}/library/busy:1"), login: null, cts.Token);

        AssertFailure(result.Check, RegistryFailureKind.RateLimited);
        Assert.Equal(TimeSpan.FromSeconds(17), result.Check.RetryAfter);
        Assert.Equal($"rate limited by {stub.Host} (toomanyrequests: You have reached your pull rate limit.); retry after 17 s", result.Check.Message);

        var platforms = await client.GetPlatformsAsync(host, ImageReference.Parse($"{stub.Host}/library/busy:1"), login: null, cts.Token);

        AssertFailure(platforms.Check, RegistryFailureKind.RateLimited);
        Assert.Equal($"rate limited by {stub.Host} (toomanyrequests: You have reached your pull rate limit.); retry after 17 s", platforms.Check.Message);
    }

    private static Task AnonymousRegistry(HttpContext context)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        context.Response.StatusCode = context.Request.Path == "/v2/" ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
