using System.Net;
using System.Net.Sockets;
using System.Text;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

// RegistryFailureMap as a table: each row is one reply (or transport failure) a registry or
// token server can produce, with the kind and the message a user must see.
public sealed class RegistryFailureMapTests
{
    private const string Host = "registry.test";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Uri Realm = new("https://auth.test/token");

    public static TheoryData<string, int, string, string, bool, string?, string?, RegistryFailureKind, string> Replies => new()
    {
        // name, status, auth (none|basic|bearer|fresh-bearer), body, hasLogin, forbidden, notFound, kind, message
        { "401 anonymous", 401, "none", "", false, null, null, RegistryFailureKind.Unauthorized, "unauthorized: no credential saved for registry.test: it requires a login for this; add one with `clusterctl registry add NAME --url HOST --username U --password-stdin`" },
        { "401 basic login", 401, "basic", "", true, null, null, RegistryFailureKind.Unauthorized, "unauthorized: username or password rejected by registry.test" },
        { "401 bearer on pull", 401, "bearer", "", true, "forbidden: token lacks pull permission", null, RegistryFailureKind.Forbidden, "forbidden: token lacks pull permission" },
        { "401 bearer on login", 401, "bearer", "", true, null, null, RegistryFailureKind.Unauthorized, "unauthorized: registry.test rejected the token issued by its token server (auth.test:443)" },
        { "401 login, no scheme", 401, "none", "", true, null, null, RegistryFailureKind.Unauthorized, "unauthorized: registry.test asks for a login this client cannot answer" },
        { "403", 403, "basic", "", true, null, null, RegistryFailureKind.Forbidden, "forbidden: registry.test refused the request" },
        { "403 own wording", 403, "basic", "", true, "forbidden: nope", null, RegistryFailureKind.Forbidden, "forbidden: nope" },
        { "404 body code", 404, "basic", Errors("MANIFEST_UNKNOWN", "manifest unknown"), true, null, null, RegistryFailureKind.NotFound, "not found on registry.test (manifest_unknown: manifest unknown)" },
        { "404 own wording", 404, "basic", "", true, null, "image not found: x", RegistryFailureKind.NotFound, "image not found: x" },
        { "429 no Retry-After", 429, "none", "", false, null, null, RegistryFailureKind.RateLimited, "rate limited by registry.test" },
        { "400 DENIED", 400, "basic", Errors("DENIED", "no"), true, null, null, RegistryFailureKind.Forbidden, "forbidden: registry.test denied the request (denied: no)" },
        { "500 TOOMANYREQUESTS", 500, "basic", Errors("TOOMANYREQUESTS", "slow down"), true, null, null, RegistryFailureKind.RateLimited, "rate limited by registry.test (toomanyrequests: slow down)" },
        { "400 NAME_UNKNOWN", 400, "basic", Errors("NAME_UNKNOWN", "repository name not known"), true, null, null, RegistryFailureKind.NotFound, "not found on registry.test (name_unknown: repository name not known)" },
        { "502 html", 502, "basic", "<html>bad gateway</html>", true, null, null, RegistryFailureKind.Other, "registry.test answered 502 Reason for /v2/acme/web/manifests/1.0" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void ForReply_Table(string name, int status, string auth, string body, bool hasLogin, string? forbidden, string? notFound, RegistryFailureKind kind, string message)
    {
        var failure = RegistryFailureMap.ForReply(Reply(status, auth, body), Host, hasLogin, forbidden, notFound, Now);

        Assert.True(kind == failure.Kind, $"{name}: {failure.Kind}");
        Assert.Equal(message, failure.Message);
    }

    [Fact]
    public void ForReply_AnonymousBearerInsufficientScope_SaysTheRepositoryMayNotExist()
    {
        var reply = Reply(401, "bearer", "", ("WWW-Authenticate", "Bearer realm=\"https://auth.test/token\",error=\"insufficient_scope\""));

        var failure = RegistryFailureMap.ForReply(reply, Host, hasLogin: false, forbidden: "forbidden", notFound: null, Now);

        Assert.Equal(RegistryFailureKind.Unauthorized, failure.Kind);
        Assert.Equal("unauthorized: no credential saved for registry.test: it requires a login for this, or the repository does not exist; add one with `clusterctl registry add NAME --url HOST --username U --password-stdin`", failure.Message);
    }

    [Fact]
    public void ForReply_BearerInvalidToken_IsUnauthorizedEvenWithForbiddenWording()
    {
        var reply = Reply(401, "bearer", "", ("WWW-Authenticate", "Bearer realm=\"https://auth.test/token\",error=\"invalid_token\""));

        var failure = RegistryFailureMap.ForReply(reply, Host, hasLogin: true, forbidden: "forbidden", notFound: null, Now);

        Assert.Equal(RegistryFailureKind.Unauthorized, failure.Kind);
    }

    [Theory]
    [InlineData("20", 20.0)]
    [InlineData(" 0 ", 0.0)]
    [InlineData("999999999", 86400.0)]
    [InlineData("Thu, 01 Jan 2026 12:00:30 GMT", 30.0)]
    [InlineData("Thu, 01 Jan 2026 11:00:00 GMT", 0.0)]
    public void RetryAfter_SecondsOrHttpDate(string header, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), RegistryFailureMap.RetryAfter(header, Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    public void RetryAfter_AbsentOrUnreadable_IsNull(string? header)
    {
        Assert.Null(RegistryFailureMap.RetryAfter(header, Now));
    }

    [Fact]
    public void ForReply_429WithRetryAfter_CarriesTheWaitAndSaysIt()
    {
        var failure = RegistryFailureMap.ForReply(Reply(429, "none", "", ("Retry-After", "20")), Host, false, null, null, Now);

        Assert.Equal(RegistryFailureKind.RateLimited, failure.Kind);
        Assert.Equal(TimeSpan.FromSeconds(20), failure.RetryAfter);
        Assert.Equal("rate limited by registry.test; retry after 20 s", failure.Message);
    }

    public static TheoryData<int, string?, RegistryFailureKind, string> TokenReplies => new()
    {
        { 401, null, RegistryFailureKind.Unauthorized, "unauthorized: no credential saved for registry.test: it allows no anonymous access; add one with `clusterctl registry add NAME --url HOST --username U --password-stdin`" },
        { 401, "alice", RegistryFailureKind.Unauthorized, "unauthorized: username or token rejected by registry.test (authentication failed)" },
        { 403, "alice", RegistryFailureKind.Forbidden, "forbidden: the token server of registry.test refused alice (authentication failed)" },
        { 403, null, RegistryFailureKind.Forbidden, "forbidden: the token server of registry.test refused anonymous access (authentication failed)" },
        { 429, "alice", RegistryFailureKind.RateLimited, "rate limited by the token server of registry.test (auth.test:443)" },
        { 500, "alice", RegistryFailureKind.Other, "the token server of registry.test (auth.test:443) answered 500 Reason (authentication failed)" },
    };

    [Theory]
    [MemberData(nameof(TokenReplies))]
    public void ForTokenReply_Table(int status, string? username, RegistryFailureKind kind, string message)
    {
        var reply = Reply(status, "none", "{\"details\":\"authentication failed\"}");

        var failure = RegistryFailureMap.ForTokenReply(reply, Host, username, Realm, Now);

        Assert.Equal(kind, failure.Kind);
        Assert.Equal(message, failure.Message);
    }

    public static TheoryData<string, RegistryFailureKind, string> Exceptions => new()
    {
        { "refused", RegistryFailureKind.Unreachable, "registry unreachable: connection refused at registry.test:443" },
        { "reset", RegistryFailureKind.Unreachable, "registry unreachable: registry.test:443 reset the connection" },
        { "dns", RegistryFailureKind.Unreachable, "registry unreachable: cannot resolve registry.test (DNS)" },
        { "ended", RegistryFailureKind.Unreachable, "registry unreachable: registry.test:443 closed the connection without answering" },
        { "certificate", RegistryFailureKind.Tls, "TLS failure talking to registry.test:443: self-signed; if it serves plain HTTP or a self-signed certificate, add the registry with --insecure (credentials are optional: `clusterctl registry add NAME --url HOST --insecure` declares it)" },
        { "connect-timeout", RegistryFailureKind.Unreachable, "registry unreachable: no answer from registry.test:443 within 5 s" },
        { "io", RegistryFailureKind.Unreachable, "registry unreachable: the connection to registry.test:443 failed (broken pipe)" },
        { "other", RegistryFailureKind.Other, "talking to registry registry.test:443 failed: InvalidOperationException: odd" },
    };

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void ForException_Table(string what, RegistryFailureKind kind, string message)
    {
        Exception e = what switch
        {
            "refused" => new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.ConnectionRefused)),
            "reset" => new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.ConnectionReset)),
            "dns" => new HttpRequestException(HttpRequestError.NameResolutionError, "x"),
            "ended" => new HttpRequestException(HttpRequestError.ResponseEnded, "x"),
            "certificate" => new HttpRequestException(HttpRequestError.SecureConnectionError, "x", new CertificateRejectedException("self-signed")),
            "connect-timeout" => new TaskCanceledException("x", new TimeoutException()),
            "io" => new IOException("broken pipe."),
            _ => new InvalidOperationException("odd"),
        };

        var failure = RegistryFailureMap.ForException(e, new Uri("https://registry.test/v2/"), "registry", requestTimedOut: false, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

        Assert.Equal(kind, failure.Kind);
        Assert.Equal(message, failure.Message);
    }

    [Fact]
    public void ForException_RequestTimeout_NamesTheRequestTimeout()
    {
        var failure = RegistryFailureMap.ForException(new TaskCanceledException(), new Uri("http://10.0.0.5:5000/v2/"), "registry", requestTimedOut: true, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

        Assert.Equal(RegistryFailureKind.Unreachable, failure.Kind);
        Assert.Equal("registry unreachable: no answer from 10.0.0.5:5000 within 10 s", failure.Message);
    }

    private static string Errors(string code, string message) => $"{{\"errors\":[{{\"code\":\"{code}\",\"message\":\"{message}\"}}]}}";

    private static RegistryReply Reply(int status, string auth, string body, params (string Name, string Value)[] headers)
    {
        var use = auth switch
        {
            "basic" => AuthUse.ForBasic("Basic x"),
            "bearer" => AuthUse.ForBearer("t", fresh: false, cacheKey: null, Realm),
            "fresh-bearer" => AuthUse.ForBearer("t", fresh: true, cacheKey: null, Realm),
            _ => AuthUse.Anonymous,
        };
        var values = headers.ToDictionary(h => h.Name, h => new[] { h.Value }, StringComparer.OrdinalIgnoreCase);
        return new RegistryReply((HttpStatusCode)status, "Reason", values, Encoding.UTF8.GetBytes(body), new Uri("https://registry.test/v2/acme/web/manifests/1.0"), use);
    }
}
