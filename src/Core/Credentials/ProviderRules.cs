using Cluster.Core.Images;

namespace Cluster.Core.Credentials;

// What each registry provider of the seed documents expects of a credential: which hosts fit
// it, the address the Docker engine logs into, a default username where the provider has one,
// and the scope names to quote when a token lacks a permission. A URL that does not fit the
// provider is refused with a message that says which provider it does fit.
public static class ProviderRules
{
    // Normalizes a credential URL to what image references start with: host[:port][/path-prefix],
    // or explains why it cannot be one. Every spelling a user may paste from a browser, a
    // `docker login` or a registry's documentation reduces to the registry host:
    //   scheme (https:// or http://), trailing slashes, the API root (/v2, /v2/, Docker Hub's
    //   legacy /v1/), upper-case host names, the default TLS port :443, and Docker Hub's aliases
    //   (index.docker.io, registry-1.docker.io, registry.hub.docker.com) -> docker.io.
    // A genuine path prefix (ghcr.io/acme) is kept: it scopes the credential to those images.
    // Refused with the reason: a user name or password in the URL (never echoed), a query or
    // fragment, a path under the API (/v2/acme/...), plain http:// without insecure (unless
    // loopback), and a URL that does not fit the provider.
    public static bool TryNormalizeUrl(RegistryProvider provider, string? url, bool insecure, out string normalized, out string? error)
    {
        normalized = "";
        error = null;
        if (string.IsNullOrWhiteSpace(url))
        {
            error = "--url is required: the registry host, e.g. ghcr.io or 10.0.0.5:5000";
            return false;
        }

        var text = url.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var prefix = scheme >= 0 ? text[..scheme].ToLowerInvariant() : null;
        var rest = scheme >= 0 ? text[(scheme + 3)..] : text;
        var authorityEnd = rest.IndexOfAny(['/', '?', '#']);
        if ((authorityEnd < 0 ? rest : rest[..authorityEnd]).Contains('@', StringComparison.Ordinal))
        {
            // The part before '@' may be a password: the URL is not repeated.
            error = "the registry URL must not contain a user name or password; give --username and the password on stdin (--password-stdin)";
            return false;
        }

        if (text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            error = $"url '{url}' is not a registry host[:port][/path] (for example ghcr.io, registry.gitlab.com/group or 10.0.0.5:5000)";
            return false;
        }

        if (prefix is not null && prefix is not ("https" or "http"))
        {
            error = $"url '{url}' has scheme '{prefix}'; give the registry host, e.g. ghcr.io or 10.0.0.5:5000";
            return false;
        }

        if (rest.IndexOfAny(['?', '#']) >= 0)
        {
            error = $"url '{url}' has a query or fragment; give the registry host, e.g. ghcr.io or 10.0.0.5:5000";
            return false;
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var host = (slash < 0 ? rest : rest[..slash]).ToLowerInvariant();
        var path = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (host.EndsWith(":443", StringComparison.Ordinal) && prefix != "http")
        {
            host = host[..^4]; // the default TLS port names the same registry as none
        }

        // The API root is not an image path: HOST/v2/ is HOST (and Docker Hub's /v1/ is Docker Hub).
        if (path is "v2" or "v1")
        {
            path = "";
        }
        else if (path.StartsWith("v2/", StringComparison.Ordinal))
        {
            error = $"url '{url}' points into the registry API (/v2/...); give the registry host (and an image path prefix if you want one), e.g. {host} or {host}/{path[3..].Split('/')[0]}";
            return false;
        }

        if (prefix == "http" && !insecure && !IsLoopback(host))
        {
            error = $"url '{url}' is plain HTTP; add --insecure to declare the registry as plain HTTP / untrusted TLS (the engines need it in insecure-registries too), or give https://";
            return false;
        }

        // The host and path must be what an image reference could start with.
        var probe = path.Length > 0 ? $"{host}/{path}/x" : $"{host}/x";
        if (host.Length == 0 || !ImageReference.TryParse(probe, out var parsed, out _) ||
            !string.Equals(KeyringKey.NormalizeHost(parsed.Registry), KeyringKey.NormalizeHost(host), StringComparison.Ordinal))
        {
            error = $"url '{url}' is not a registry host[:port][/path] (for example ghcr.io, registry.gitlab.com/group or 10.0.0.5:5000)";
            return false;
        }

        var normalizedHost = KeyringKey.NormalizeHost(host);
        var actual = RegistryProviders.FromHost(normalizedHost);
        var fits = provider switch
        {
            RegistryProvider.Generic => true,
            // GitLab is often self-managed on its own host; refuse only hosts of other providers.
            RegistryProvider.GitLab => actual is RegistryProvider.GitLab or RegistryProvider.Generic,
            _ => actual == provider,
        };
        if (!fits)
        {
            error = $"url '{url}' does not fit provider {RegistryProviders.CliName(provider)}: {Expected(provider)}" +
                (actual != RegistryProvider.Generic ? $"; {normalizedHost} is {Describe(actual)}, use --provider {RegistryProviders.CliName(actual)}" : "");
            return false;
        }

        normalized = path.Length > 0 ? $"{normalizedHost}/{path}" : normalizedHost;
        return true;
    }

    // The address the engine's /auth and X-Registry-Auth expect for this registry host.
    public static string EngineServerAddress(string host) =>
        KeyringKey.NormalizeHost(host) == "docker.io" ? "https://index.docker.io/v1/" : host;

    public static string? DefaultUsername(RegistryProvider provider) => provider switch
    {
        // ECR passwords come from `aws ecr get-login-password`; the username is always AWS.
        RegistryProvider.Ecr => "AWS",
        _ => null,
    };

    // Said next to "unauthorized" so the user knows which username to use.
    public static string? UsernameHint(RegistryProvider provider) => provider switch
    {
        RegistryProvider.GitLab => "GitLab: use your GitLab username with a personal access token, or the deploy token's username (gitlab+deploy-token-N) with a deploy token",
        RegistryProvider.Ghcr => "GitHub: use your GitHub username with a personal access token (classic)",
        RegistryProvider.DockerHub => "Docker Hub: use your Docker Hub username with an access token",
        RegistryProvider.Ecr => "ECR: the username is AWS and the password comes from `aws ecr get-login-password` (valid 12 hours)",
        RegistryProvider.Acr => "Azure: use the registry's admin user, a service principal id, or a token name",
        RegistryProvider.DigitalOcean => "DigitalOcean: use an API token as both username and password",
        RegistryProvider.Quay => "Quay: use your username or robot account (org+robot) with its token",
        _ => null,
    };

    // The permission a token needs to push, as the provider names it.
    public static string PushPermission(RegistryProvider provider) => provider switch
    {
        RegistryProvider.Ghcr => "write:packages",
        RegistryProvider.GitLab => "write_registry",
        RegistryProvider.DockerHub => "Read & Write access",
        RegistryProvider.Quay => "write permission on the repository",
        RegistryProvider.Ecr => "ecr:PutImage and ecr:InitiateLayerUpload",
        RegistryProvider.Acr => "the AcrPush role",
        RegistryProvider.DigitalOcean => "a read/write API token",
        _ => "push permission",
    };

    public static string PullPermission(RegistryProvider provider) => provider switch
    {
        RegistryProvider.Ghcr => "read:packages",
        RegistryProvider.GitLab => "read_registry",
        _ => "pull permission",
    };

    private static bool IsLoopback(string host)
    {
        var name = host.StartsWith('[') ? host[1..Math.Max(1, host.IndexOf(']', StringComparison.Ordinal))] : host.Split(':')[0];
        return name == "localhost" || (System.Net.IPAddress.TryParse(name, out var address) && System.Net.IPAddress.IsLoopback(address));
    }

    private static string Expected(RegistryProvider provider) => provider switch
    {
        RegistryProvider.DockerHub => "Docker Hub is docker.io",
        RegistryProvider.Ghcr => "GitHub Container Registry is ghcr.io",
        RegistryProvider.GitLab => "GitLab is registry.gitlab.com or your own GitLab's registry host",
        RegistryProvider.Ecr => "ECR registries look like <account>.dkr.ecr.<region>.amazonaws.com",
        RegistryProvider.Acr => "Azure registries look like <name>.azurecr.io",
        RegistryProvider.DigitalOcean => "DigitalOcean is registry.digitalocean.com",
        RegistryProvider.Quay => "Quay is quay.io",
        _ => "any registry host",
    };

    private static string Describe(RegistryProvider provider) => provider switch
    {
        RegistryProvider.DockerHub => "Docker Hub",
        RegistryProvider.Ghcr => "GitHub Container Registry",
        RegistryProvider.GitLab => "GitLab",
        RegistryProvider.Ecr => "an ECR registry",
        RegistryProvider.Acr => "an Azure registry",
        RegistryProvider.DigitalOcean => "DigitalOcean",
        RegistryProvider.Quay => "Quay",
        _ => "a generic registry",
    };
}
