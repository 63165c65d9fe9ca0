namespace Cluster.Core.Registry;

// How a request was authenticated. Header holds a secret: ToString never shows it.
internal sealed class AuthUse
{
    private AuthUse(AuthKind kind, string? header, bool freshToken, string? cacheKey, Uri? realm)
    {
        Kind = kind;
        Header = header;
        FreshToken = freshToken;
        CacheKey = cacheKey;
        Realm = realm;
    }

    public static AuthUse Anonymous { get; } = new(AuthKind.None, null, false, null, null);

    public AuthKind Kind { get; }

    public string? Header { get; }

    // A token issued for this very request (not from the cache): if it is refused, the cause is
    // its permissions, not staleness.
    public bool FreshToken { get; }

    public string? CacheKey { get; }

    public Uri? Realm { get; }

    public static AuthUse ForBasic(string? basicHeader) => new(AuthKind.Basic, basicHeader, false, null, null);

    public static AuthUse ForBearer(string token, bool fresh, string? cacheKey, Uri realm) =>
        new(AuthKind.Bearer, "Bearer " + token, fresh, cacheKey, realm);

    public override string ToString() => Kind.ToString();
}
