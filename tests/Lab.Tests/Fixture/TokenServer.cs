using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Lab.Tests.Fixture;

// The token server of the lab's token registry (LAB_TOKEN_REGISTRY), run by the tests in their
// own process on LAB_TOKEN_REALM. Not a mock: the real registry verifies every JWT it signs.
//
// It behaves like distribution's token servers (docker_auth, GitLab, Harbor):
//   GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...][&account=U]
//   with Basic credentials (or none: anonymous, granted AnonymousGrants).
// A wrong password or an unknown user gets 401. Otherwise the token grants, per requested
// scope, the intersection of the requested actions and the user's grants; nothing for a
// repository the user has no grant on (the registry then refuses the request). No scope: a
// token with no access, which is what `docker login` asks for. Answers
// {"token","access_token","expires_in","issued_at"}.
// Tests configure users at run time (AddUser, SetPassword, RemoveUser, Throttle), and read what
// was asked (Requests, RequestCount) to prove caching.
public sealed class TokenServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _throttled = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TokenServerRequest> _requests = new();
    private readonly TokenSigner _signer;
    private readonly WebApplication _app;

    private TokenServer(Uri realm, string service, string issuer, TokenSigner signer, WebApplication app)
    {
        Realm = realm;
        Service = service;
        Issuer = issuer;
        _signer = signer;
        _app = app;
    }

    public Uri Realm { get; }

    public string Service { get; }

    public string Issuer { get; }

    // Lifetime of the tokens issued (expires_in).
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    // What a request without credentials may do (nothing by default).
    public IReadOnlyList<TokenGrant> AnonymousGrants { get; set; } = [];

    public IReadOnlyList<TokenServerRequest> Requests => [.. _requests];

    // Listens on the realm's address (the lab bridge, 10.77.0.254:5002), signing with the lab's key.
    public static async Task<TokenServer> StartAsync(LabEnvironment env, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(env);
        var realm = env.TokenRealm;
        var signer = new TokenSigner(env.TokenKey, env.TokenCert);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(realm.Host), realm.Port));
        var app = builder.Build();
        var server = new TokenServer(realm, env.TokenService, env.TokenIssuer, signer, app);
        app.Run(server.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e)
        {
            await app.DisposeAsync();
            signer.Dispose();
            throw new InvalidOperationException($"the test token server could not listen on {realm.Authority} ({e.Message}); is another test run using the lab?", e);
        }

        return server;
    }

    public void AddUser(string user, string password, params TokenGrant[] grants)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        _users[user] = new User(password, [.. grants]);
    }

    public void SetPassword(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var existing = _users.TryGetValue(user, out var u) ? u : throw new KeyNotFoundException($"no token-server user {user}");
        _users[user] = existing with { Password = password };
    }

    public void RemoveUser(string user) => _users.TryRemove(user, out _);

    // Every request by this user gets 429 with Retry-After until Unthrottle.
    public void Throttle(string user, TimeSpan retryAfter) => _throttled[user] = retryAfter;

    public void Unthrottle(string user) => _throttled.TryRemove(user, out _);

    // Requests that authenticated as, or claimed, this user (account parameter or Basic name).
    public int RequestCount(string user) => _requests.Count(r => r.User == user || r.Account == user);

    // A token as this server would issue it, for tests that need one directly.
    public string IssueToken(string subject, IEnumerable<(string Name, string[] Actions)> access)
    {
        ArgumentNullException.ThrowIfNull(access);
        return Sign(subject, [.. access.Select(a => new Access("repository", a.Name, a.Actions))], DateTimeOffset.UtcNow);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _signer.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsGet(request.Method) || request.Path != Realm.AbsolutePath)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var scopes = request.Query["scope"]
            .SelectMany(s => (s ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        var account = request.Query["account"].FirstOrDefault();
        var (claimed, password) = BasicCredentials(request.Headers.Authorization.FirstOrDefault());

        async Task Answer(int status, object body, string? user)
        {
            _requests.Enqueue(new TokenServerRequest(user, account, scopes, status, DateTimeOffset.UtcNow));
            response.StatusCode = status;
            await response.WriteAsJsonAsync(body);
        }

        if (claimed is not null && _throttled.TryGetValue(claimed, out var wait))
        {
            response.Headers.RetryAfter = ((long)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await Answer(StatusCodes.Status429TooManyRequests, new { details = "too many token requests" }, claimed);
            return;
        }

        if (!string.Equals(request.Query["service"].FirstOrDefault(), Service, StringComparison.Ordinal))
        {
            await Answer(StatusCodes.Status400BadRequest, new { details = $"unknown service; this server issues tokens for {Service}" }, claimed);
            return;
        }

        IReadOnlyList<TokenGrant> grants;
        if (claimed is null)
        {
            grants = AnonymousGrants;
        }
        else if (_users.TryGetValue(claimed, out var user) && PasswordMatches(user.Password, password!))
        {
            grants = user.Grants;
        }
        else
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"clab-token\"";
            await Answer(StatusCodes.Status401Unauthorized, new { details = "invalid username or password" }, claimed);
            return;
        }

        var access = new List<Access>();
        foreach (var scope in scopes)
        {
            var parts = scope.Split(':');
            if (parts.Length < 3 || parts[0] != "repository")
            {
                continue; // registry:catalog:* and other types: never granted here
            }

            var name = string.Join(':', parts[1..^1]);
            var allowed = grants.Where(g => g.Matches(name)).SelectMany(g => g.Actions).ToHashSet(StringComparer.Ordinal);
            var granted = parts[^1].Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Where(a => allowed.Contains(a) || allowed.Contains("*"))
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            if (granted.Length > 0)
            {
                access.Add(new Access("repository", name, granted));
            }
        }

        var now = DateTimeOffset.UtcNow;
        var token = Sign(claimed ?? string.Empty, access, now);
        await Answer(StatusCodes.Status200OK, new Dictionary<string, object>
        {
            ["token"] = token,
            ["access_token"] = token,
            ["expires_in"] = (long)TokenLifetime.TotalSeconds,
            ["issued_at"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        }, claimed);
    }

    private string Sign(string subject, List<Access> access, DateTimeOffset now) => _signer.Sign(new Dictionary<string, object>
    {
        ["iss"] = Issuer,
        ["sub"] = subject,
        ["aud"] = Service,
        ["exp"] = (now + TokenLifetime).ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds() - 1,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        ["access"] = access.Select(a => new Dictionary<string, object> { ["type"] = a.Type, ["name"] = a.Name, ["actions"] = a.Actions }).ToArray(),
    });

    private static (string? User, string? Password) BasicCredentials(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? (decoded, string.Empty) : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return (string.Empty, string.Empty);
        }
    }

    private static bool PasswordMatches(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(given)));

    private sealed record User(string Password, IReadOnlyList<TokenGrant> Grants);

    private sealed record Access(string Type, string Name, string[] Actions);
}
