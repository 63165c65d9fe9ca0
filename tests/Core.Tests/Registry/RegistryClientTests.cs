using System.Net;
using System.Text;
using Cluster.Core.Images;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

// RegistryClient against FakeRegistry: token lifetimes under a hand-moved clock, odd servers,
// redirects to a CDN, and redaction. The real Basic and Bearer registries are in Lab.Tests.
public sealed class RegistryClientTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _cts = new(Deadline);
    private readonly FakeRegistry _fake = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    private CancellationToken Ct => _cts.Token;

    public void Dispose()
    {
        _cts.Dispose();
        _fake.Dispose();
    }

    [Fact]
    public async Task Resolve_BearerRegistry_OneTokenThenCachedWithoutAnonymousRoundTrip()
    {
        var digest = _fake.AddImage("acme/web", "1.0");
        using var client = Client();

        var first = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);
        var requestsAfterFirst = _fake.Requests.Count;
        var second = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(digest, first.Value!.Digest);
        Assert.Equal(digest, second.Value!.Digest);
        Assert.Equal(1, _fake.TokenRequests);
        // The first resolve: anonymous GET (401), token, GET with it. The second: just the GET.
        Assert.Equal(3, requestsAfterFirst);
        var last = _fake.Requests[^1];
        Assert.Equal(HttpMethod.Get, last.Method);
        Assert.Equal("Bearer tok-1", last.Authorization);
        var token = Assert.Single(_fake.Requests, r => r.Uri.Host == "auth.test");
        Assert.Equal("https://auth.test/token?service=registry.test&scope=repository%3Aacme%2Fweb%3Apull&account=alice", token.Uri.AbsoluteUri);
    }

    [Fact]
    public async Task Resolve_TokenExpired_FetchesANewOne()
    {
        _fake.AddImage("acme/web", "1.0");
        using var client = Client();

        await ResolveOk(client);
        _clock.Advance(TimeSpan.FromSeconds(289)); // 300 s lifetime less the 10 s margin: still usable
        await ResolveOk(client);
        Assert.Equal(1, _fake.TokenRequests);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await ResolveOk(client);
        Assert.Equal(2, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_ExpiresInMissing_TokenLivesSixtySeconds()
    {
        _fake.AddImage("acme/web", "1.0");
        _fake.ExpiresIn = null;
        using var client = Client();

        await ResolveOk(client);
        _clock.Advance(TimeSpan.FromSeconds(50));
        await ResolveOk(client);
        Assert.Equal(1, _fake.TokenRequests);
        _clock.Advance(TimeSpan.FromSeconds(11));
        await ResolveOk(client);
        Assert.Equal(2, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_IssuedAtInThePast_LifetimeCountsFromIssuedAt()
    {
        _fake.AddImage("acme/web", "1.0");
        _fake.IssuedAt = _clock.GetUtcNow() - TimeSpan.FromSeconds(250); // token server clock behind
        using var client = Client();

        await ResolveOk(client);
        _clock.Advance(TimeSpan.FromSeconds(45)); // 250 + 45 > 300 - 10
        await ResolveOk(client);

        Assert.Equal(2, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_IssuedAtInTheFuture_DoesNotExtendTheToken()
    {
        _fake.AddImage("acme/web", "1.0");
        _fake.IssuedAt = _clock.GetUtcNow() + TimeSpan.FromHours(1); // token server clock ahead
        using var client = Client();

        await ResolveOk(client);
        _clock.Advance(TimeSpan.FromSeconds(300));
        await ResolveOk(client);

        Assert.Equal(2, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_CachedTokenRevoked_AsksForANewTokenOnce()
    {
        _fake.AddImage("acme/web", "1.0");
        using var client = Client();
        await ResolveOk(client);
        _fake.Revoked.Add("tok-1");

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.True(result.Check.Ok, result.Check.Message);
        Assert.Equal(2, _fake.TokenRequests);
        Assert.Equal("Bearer tok-2", _fake.Requests[^1].Authorization);
    }

    [Fact]
    public async Task Resolve_DifferentPassword_NeverServedTheCachedToken()
    {
        _fake.AddImage("acme/web", "1.0");
        using var client = Client();
        await ResolveOk(client);
        var wrong = new RegistryLogin(FakeRegistry.Host, FakeRegistry.User, "not-the-password");

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), wrong, Ct);

        Assert.Equal(RegistryFailureKind.Unauthorized, result.Check.Failure);
        Assert.Equal(2, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_TokenServerRejectsPassword_UnauthorizedWithoutSecrets()
    {
        using var client = Client();
        var wrong = new RegistryLogin(FakeRegistry.Host, FakeRegistry.User, "wr0ng-Passw0rd");

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), wrong, Ct);

        Assert.Equal(RegistryFailureKind.Unauthorized, result.Check.Failure);
        Assert.Equal("unauthorized: username or token rejected by registry.test (incorrect username or password)", result.Check.Message);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task Resolve_RegistryRefusesFreshToken_ForbiddenNamingTheRepository()
    {
        _fake.InsufficientScope = true;
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Forbidden, result.Check.Failure);
        Assert.Equal("forbidden: token lacks pull permission for acme/web on registry.test (or the repository does not exist)", result.Check.Message);
        Assert.Equal(1, _fake.TokenRequests);
    }

    [Fact]
    public async Task Resolve_MissingTag_NotFound()
    {
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:9.9"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.NotFound, result.Check.Failure);
        Assert.Equal("image not found: registry.test/acme/web:9.9; check that the registry URL matches the image path", result.Check.Message);
    }

    [Fact]
    public async Task Resolve_NoTagNoDigest_AsksForLatest()
    {
        var digest = _fake.AddImage("acme/web", "latest");
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web"), FakeRegistry.Login, Ct);

        Assert.Equal(digest, result.Value!.Digest);
        Assert.EndsWith("/v2/acme/web/manifests/latest", _fake.Requests[^1].Uri.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_NoDigestHeader_DigestComputedFromTheManifest()
    {
        var digest = _fake.AddImage("acme/web", "1.0");
        _fake.SendDigestHeader = false;
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.True(result.Check.Ok, result.Check.Message);
        Assert.Equal(digest, result.Value!.Digest);
        Assert.Equal(RegistryMediaTypes.DockerManifest, result.Value.MediaType);
    }

    [Fact]
    public async Task Resolve_RegistryAnswersAnotherDigestForADigestReference_Other()
    {
        var digest = _fake.AddImage("acme/web", "1.0");
        var other = "sha256:" + new string('b', 64);
        _fake.Manifests[$"acme/web@{other}"] = _fake.Manifests[$"acme/web@{digest}"];
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image($"acme/web@{other}"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Other, result.Check.Failure);
        Assert.Contains("does not match its digest", result.Check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_SendsTheFourManifestTypes()
    {
        _fake.AddImage("acme/web", "1.0");
        string? accept = null;
        _fake.Override = request =>
        {
            if (request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.Contains("/manifests/", StringComparison.Ordinal) && request.Headers.Authorization is not null)
            {
                accept = string.Join(", ", request.Headers.Accept.Select(a => a.MediaType));
            }

            return null;
        };
        using var client = Client();

        await ResolveOk(client);

        Assert.Equal(string.Join(", ", RegistryMediaTypes.ManifestAccept), accept);
    }

    [Fact]
    public async Task Resolve_429WithRetryAfterSeconds_RateLimited()
    {
        _fake.Override = _ =>
        {
            var response = FakeRegistry.Status(HttpStatusCode.TooManyRequests, """{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""");
            response.Headers.TryAddWithoutValidation("Retry-After", "120");
            return response;
        };
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.RateLimited, result.Check.Failure);
        Assert.Equal(TimeSpan.FromMinutes(2), result.Check.RetryAfter);
        Assert.Equal("rate limited by registry.test (toomanyrequests: slow down); retry after 120 s", result.Check.Message);
    }

    [Fact]
    public async Task Resolve_429WithRetryAfterDate_RetryAfterFromTheClock()
    {
        var until = _clock.GetUtcNow() + TimeSpan.FromSeconds(90);
        _fake.Override = _ =>
        {
            var response = FakeRegistry.Status(HttpStatusCode.TooManyRequests);
            response.Headers.TryAddWithoutValidation("Retry-After", until.ToString("r"));
            return response;
        };
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.RateLimited, result.Check.Failure);
        Assert.Equal(TimeSpan.FromSeconds(90), result.Check.RetryAfter);
    }

    [Fact]
    public async Task Resolve_403Denied_Forbidden()
    {
        _fake.Override = _ => FakeRegistry.Status(HttpStatusCode.Forbidden, """{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}""");
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Forbidden, result.Check.Failure);
    }

    [Fact]
    public async Task Resolve_DeniedCodeWithOddStatus_Forbidden()
    {
        _fake.Override = _ => FakeRegistry.Status(HttpStatusCode.BadRequest, """{"errors":[{"code":"denied","message":"no"}]}""");
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Forbidden, result.Check.Failure);
    }

    [Fact]
    public async Task Resolve_NoAnswerWithinRequestTimeout_Unreachable()
    {
        using var client = new RegistryClient(new RegistryClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(200) }, handler: new HangingHandler());

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Unreachable, result.Check.Failure);
        Assert.Equal("registry unreachable: no answer from registry.test:443 within 0.2 s", result.Check.Message);
    }

    [Fact]
    public async Task Resolve_CallerCancels_OperationCanceledException()
    {
        using var client = new RegistryClient(handler: new HangingHandler());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, cts.Token));
    }

    [Fact]
    public async Task Resolve_DnsFailure_Unreachable()
    {
        using var client = Client();

        var result = await client.ResolveAsync(new RegistryHost("nowhere.test", Insecure: false), Image("acme/web:1.0"), login: null, Ct);

        Assert.Equal(RegistryFailureKind.Unreachable, result.Check.Failure);
        Assert.Equal("registry unreachable: cannot resolve nowhere.test (DNS)", result.Check.Message);
    }

    [Fact]
    public async Task GetPlatforms_SingleManifest_ReadsTheConfig()
    {
        _fake.AddImage("acme/web", "1.0", "linux", "arm64");
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.True(result.Check.Ok, result.Check.Message);
        Assert.Equal(["linux/arm64"], result.Value);
    }

    [Fact]
    public async Task GetPlatforms_ConfigOnCdn_FollowedWithoutAuthorization()
    {
        _fake.AddImage("acme/web", "1.0");
        _fake.BlobsOnCdn = true;
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.True(result.Check.Ok, result.Check.Message);
        Assert.Equal(["linux/amd64"], result.Value);
        var cdn = Assert.Single(_fake.Requests, r => r.Uri.Host == "cdn.test");
        Assert.Null(cdn.Authorization);
        Assert.All(_fake.Requests.Where(r => r.Uri.Host == FakeRegistry.Host && r.Authorization is not null), r => Assert.StartsWith("Bearer ", r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetPlatforms_ConfigNotMatchingItsDigest_Other()
    {
        _fake.AddImage("acme/web", "1.0");
        var configDigest = _fake.Blobs.Keys.Single();
        _fake.Blobs[configDigest] = Encoding.UTF8.GetBytes("""{"os":"linux","architecture":"evil"}""");
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Other, result.Check.Failure);
        Assert.Contains("does not match its digest", result.Check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPlatforms_Index_ListsPlatformsWithoutAttestationsOrDuplicates()
    {
        _fake.AddIndex("acme/web", "1.0", ("linux", "amd64", null), ("linux", "arm", "v7"), ("unknown", "unknown", null), ("linux", "amd64", null), ("windows", "amd64", null));
        using var client = Client();

        var result = await client.GetPlatformsAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.True(result.Check.Ok, result.Check.Message);
        Assert.Equal(["linux/amd64", "linux/arm/v7", "windows/amd64"], result.Value);
    }

    [Fact]
    public async Task Resolve_Index_ReturnsTheIndexDigest()
    {
        var digest = _fake.AddIndex("acme/web", "1.0", ("linux", "amd64", null), ("linux", "arm64", null));
        using var client = Client();

        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);

        Assert.Equal(digest, result.Value!.Digest);
        Assert.Equal(RegistryMediaTypes.OciIndex, result.Value.MediaType);
    }

    [Fact]
    public async Task CheckLogin_PlainHttpRealmOnSecureRegistry_RefusesToSendThePassword()
    {
        _fake.Realm = "http://auth.test/token";
        using var client = Client();

        var check = await client.CheckLoginAsync(FakeRegistry.RegistryHost, FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Tls, check.Failure);
        Assert.Contains("refusing to send the password of alice", check.Message, StringComparison.Ordinal);
        Assert.Equal(0, _fake.TokenRequests);
    }

    [Fact]
    public async Task CheckLogin_Bearer_TokenRequestWithAccountAndNoScope()
    {
        using var client = Client();

        var check = await client.CheckLoginAsync(FakeRegistry.RegistryHost, FakeRegistry.Login, Ct);

        Assert.True(check.Ok, check.Message);
        var token = Assert.Single(_fake.Requests, r => r.Uri.Host == "auth.test");
        Assert.Equal("?service=registry.test&account=alice", token.Uri.Query);
        Assert.StartsWith("Basic ", token.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckLogin_Basic_CredentialsOnlyAfterTheChallenge()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRegistry.User}:{FakeRegistry.Password}"));
        _fake.Override = request =>
        {
            if (request.Headers.Authorization?.ToString() == basic)
            {
                return FakeRegistry.Status(HttpStatusCode.OK, "{}");
            }

            var response = FakeRegistry.Status(HttpStatusCode.Unauthorized);
            response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Basic realm=\"Registry Realm\"");
            return response;
        };
        using var client = Client();

        var check = await client.CheckLoginAsync(FakeRegistry.RegistryHost, FakeRegistry.Login, Ct);

        Assert.True(check.Ok, check.Message);
        Assert.Equal([null, basic], _fake.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task CheckLogin_RegistryEchoesThePassword_MessageRedacted()
    {
        _fake.Override = _ => FakeRegistry.Status(HttpStatusCode.InternalServerError,
            $$"""{"errors":[{"code":"UNKNOWN","message":"bad login {{FakeRegistry.User}}:{{FakeRegistry.Password}}"}]}""");
        using var client = Client();

        var check = await client.CheckLoginAsync(FakeRegistry.RegistryHost, FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Other, check.Failure);
        Assert.DoesNotContain(FakeRegistry.Password, check.Message, StringComparison.Ordinal);
        Assert.Contains("[redacted]", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAccess_Push_StartsAndCancelsAnUpload()
    {
        _fake.Override = request =>
        {
            if (request.Headers.Authorization is null || request.RequestUri!.Host != FakeRegistry.Host)
            {
                return null; // challenge and token as usual
            }

            if (request.Method == HttpMethod.Post)
            {
                var started = new HttpResponseMessage(HttpStatusCode.Accepted);
                started.Headers.Location = new Uri("/v2/acme/web/blobs/uploads/u-1?_state=abc", UriKind.Relative);
                return started;
            }

            return new HttpResponseMessage(HttpStatusCode.NoContent);
        };
        using var client = Client();

        var check = await client.CheckAccessAsync(FakeRegistry.RegistryHost, "acme/web", RegistryAccess.Push, FakeRegistry.Login, Ct);

        Assert.True(check.Ok, check.Message);
        var token = Assert.Single(_fake.Requests, r => r.Uri.Host == "auth.test");
        Assert.Contains("scope=repository%3Aacme%2Fweb%3Apull%2Cpush", token.Uri.Query, StringComparison.Ordinal);
        var delete = Assert.Single(_fake.Requests, r => r.Method == HttpMethod.Delete);
        Assert.Equal("https://registry.test/v2/acme/web/blobs/uploads/u-1?_state=abc", delete.Uri.AbsoluteUri);
        Assert.Equal("Bearer tok-1", delete.Authorization);
    }

    [Fact]
    public async Task CheckAccess_PushUploadOnAnotherHost_CancelledWithoutAuthorization()
    {
        _fake.Override = request =>
        {
            if (request.Method == HttpMethod.Post && request.Headers.Authorization is not null)
            {
                var started = new HttpResponseMessage(HttpStatusCode.Accepted);
                started.Headers.Location = new Uri("https://cdn.test/uploads/u-1");
                return started;
            }

            return request.Method == HttpMethod.Delete ? new HttpResponseMessage(HttpStatusCode.NoContent) : null;
        };
        using var client = Client();

        var check = await client.CheckAccessAsync(FakeRegistry.RegistryHost, "acme/web", RegistryAccess.Push, FakeRegistry.Login, Ct);

        Assert.True(check.Ok, check.Message);
        Assert.Null(Assert.Single(_fake.Requests, r => r.Method == HttpMethod.Delete).Authorization);
    }

    [Fact]
    public async Task CheckAccess_PushRefused_ForbiddenSayingTheTokenLacksPush()
    {
        _fake.InsufficientScope = true;
        using var client = Client();

        var check = await client.CheckAccessAsync(FakeRegistry.RegistryHost, "acme/web", RegistryAccess.Push, FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Forbidden, check.Failure);
        Assert.Equal("forbidden: token lacks push permission for acme/web on registry.test", check.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Acme/Web")]
    [InlineData("acme//web")]
    [InlineData("acme/web:1.0")]
    public async Task CheckAccess_InvalidRepositoryName_OtherWithoutAnyRequest(string repository)
    {
        using var client = Client();

        var check = await client.CheckAccessAsync(FakeRegistry.RegistryHost, repository, RegistryAccess.Pull, FakeRegistry.Login, Ct);

        Assert.Equal(RegistryFailureKind.Other, check.Failure);
        Assert.StartsWith("invalid repository name", check.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegistryClient(new RegistryClientOptions { ConnectTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RegistryClient(new RegistryClientOptions { RequestTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentException>(() => new RegistryClient(new RegistryClientOptions { UserAgent = "a\nb" }));
    }

    private RegistryClient Client() => new(time: _clock, handler: _fake);

    private async Task ResolveOk(RegistryClient client)
    {
        var result = await client.ResolveAsync(FakeRegistry.RegistryHost, Image("acme/web:1.0"), FakeRegistry.Login, Ct);
        Assert.True(result.Check.Ok, result.Check.Message);
    }

    private static ImageReference Image(string repositoryAndReference) => ImageReference.Parse($"{FakeRegistry.Host}/{repositoryAndReference}");

    // Never answers: only the request timeout (or the caller) ends the wait.
    private sealed class HangingHandler : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
