using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using static Cluster.Core.Registry.RegistryText;

namespace Cluster.Core.Registry;

// distribution's token protocol: GET the challenge's realm with service, scope and account,
// Basic credentials when there is a login (anonymous otherwise), read token / access_token,
// expires_in and issued_at, and cache the token per (registry, realm, service, scope,
// credential) until shortly before it expires. Credentials never go to a plain-HTTP realm of a
// registry that allows no plain HTTP.
internal sealed class BearerTokenClient(RegistryTransport transport, TokenCache tokens, TimeProvider time)
{
    private const int MaxTokenBodyBytes = 1024 * 1024;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    public void Forget(string cacheKey) => tokens.Remove(cacheKey);

    public async Task<AuthUse> GetAsync(RegistryOperation op, AuthChallenge challenge, string? scope, bool useCache, CancellationToken cancellationToken)
    {
        var realmText = challenge["realm"]!;
        if (!Uri.TryCreate(realmText, UriKind.Absolute, out var realm) || realm.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(realm.UserInfo))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{op.Host.Host} names an unusable token realm \"{Printable(realmText)}\"");
        }

        var service = challenge["service"] is { Length: > 0 } s ? s : null;
        var cacheKey = scope is null ? null : TokenCache.Key(op.Host.ApiHost, realm, service, scope, op.Login);
        if (useCache && cacheKey is not null && tokens.TryGet(cacheKey, out var cached))
        {
            op.AddSecret(cached);
            return AuthUse.ForBearer(cached, fresh: false, cacheKey, realm);
        }

        if (realm.Scheme == "http" && op.Login is not null && !op.Host.AllowsPlainHttp && !IsLoopback(realm))
        {
            throw new RegistryFailureException(RegistryFailureKind.Tls,
                $"the token server of {op.Host.Host} ({realm.GetLeftPart(UriPartial.Path)}) is plain HTTP; refusing to send the password of {op.Login.Username} over it; if that is intended, add the registry with --insecure");
        }

        var query = new StringBuilder();
        void Add(string name, string value) =>
            query.Append(query.Length == 0 && string.IsNullOrEmpty(realm.Query) ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        if (service is not null)
        {
            Add("service", service);
        }

        if (scope is not null)
        {
            Add("scope", scope);
        }

        if (op.Login is not null && op.Login.Username.Length > 0)
        {
            Add("account", op.Login.Username);
        }

        var tokenUri = new Uri(realm.AbsoluteUri + query);
        var reply = await transport.SendAsync(op, op.Host.Insecure, HttpMethod.Get, tokenUri, op.BasicHeader, accept: null, MaxTokenBodyBytes, authOrigin: realm, peer: $"token server of {op.Host.Host}", cancellationToken);
        if (reply.Status != HttpStatusCode.OK)
        {
            throw RegistryFailureMap.ForTokenReply(reply, op.Host.Host, op.Login?.Username, realm, time.GetUtcNow());
        }

        var receivedAt = time.GetUtcNow();
        string? token;
        var lifetime = DefaultTokenLifetime;
        DateTimeOffset? issuedAt = null;
        try
        {
            using var doc = JsonDocument.Parse(reply.Body);
            var root = doc.RootElement;
            token = root.ValueKind == JsonValueKind.Object ? (String(root, "token") ?? String(root, "access_token")) : null;
            if (token is not null && root.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number &&
                expires.TryGetInt64(out var seconds) && seconds > 0)
            {
                lifetime = TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(365).TotalSeconds));
            }

            if (token is not null && String(root, "issued_at") is { } issued &&
                DateTimeOffset.TryParse(issued, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                issuedAt = at;
            }
        }
        catch (JsonException)
        {
            token = null;
        }

        if (token is null)
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"the token server of {op.Host.Host} ({Authority(realm)}) answered without a token");
        }

        op.AddSecret(token);
        if (cacheKey is not null)
        {
            tokens.Store(cacheKey, token, TokenCache.UsableUntil(receivedAt, issuedAt, lifetime));
        }

        return AuthUse.ForBearer(token, fresh: true, cacheKey, realm);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
