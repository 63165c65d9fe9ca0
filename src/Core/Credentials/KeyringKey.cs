namespace Cluster.Core.Credentials;

// One keyring key: host[:port][/path-prefix], normalized. Hosts compare case-insensitively;
// a path prefix matches whole components only ("quay.io/team" matches "team/app", not "teamx/app").
public sealed record KeyringKey(string Host, string Path, bool IsWildcard)
{
    public static KeyringKey Parse(string match)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(match);
        var text = match.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..];
        }

        text = text.TrimEnd('/');
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var host = slash < 0 ? text : text[..slash];
        var path = slash < 0 ? "" : text[(slash + 1)..];
        // Docker Hub's legacy login address (https://index.docker.io/v1/) names no path.
        if (path == "v1" && NormalizeHost(host) == "docker.io")
        {
            path = "";
        }

        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        return new KeyringKey(wildcard ? host[2..].ToLowerInvariant() : NormalizeHost(host), path, wildcard);
    }

    public static string NormalizeHost(string host)
    {
        var lower = host.ToLowerInvariant();
        return lower is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "docker.io" : lower;
    }

    public bool Matches(string normalizedHost, string repository)
    {
        var hostMatches = IsWildcard
            ? normalizedHost.EndsWith("." + Host, StringComparison.Ordinal)
            : normalizedHost == Host;
        return hostMatches && (Path.Length == 0 || repository == Path ||
            repository.StartsWith(Path + "/", StringComparison.Ordinal));
    }

    public override string ToString() => (IsWildcard ? "*." : "") + Host + (Path.Length > 0 ? "/" + Path : "");
}
