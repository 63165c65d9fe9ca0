using System.Text.RegularExpressions;

namespace Cluster.Core.Images;

// Maps a registry host (ImageReference.Registry) to the hosted service behind it, and providers
// to and from the names the CLI uses.
//
// Host matching is ASCII case-insensitive. A port is tolerated only when it is ":443": every named
// provider serves its registry on HTTPS's default port, so "ghcr.io" and "ghcr.io:443" are the
// same endpoint, while "quay.io:8443" can only be a self-hosted proxy or mirror and gets Generic
// (credentials for the hosted service would be wrong there). IP literals are always Generic.
public static partial class RegistryProviders
{
    // Longer hosts cannot be any provider's; the cap also bounds the regex input.
    private const int MaxHostLength = 255;

    public static RegistryProvider FromHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Length == 0 || host.Length > MaxHostLength || host[0] == '[')
        {
            return RegistryProvider.Generic;
        }

        int colon = host.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!string.Equals(host[(colon + 1)..], "443", StringComparison.Ordinal))
            {
                return RegistryProvider.Generic;
            }

            host = host[..colon];
        }

        host = host.ToLowerInvariant();
        switch (host)
        {
            case "docker.io" or "index.docker.io" or "registry-1.docker.io":
                return RegistryProvider.DockerHub;
            case "ghcr.io":
                return RegistryProvider.Ghcr;
            case "registry.gitlab.com":
                return RegistryProvider.GitLab;
            case "registry.digitalocean.com":
                return RegistryProvider.DigitalOcean;
            case "quay.io":
                return RegistryProvider.Quay;
        }

        if (EcrPrivateHost().IsMatch(host))
        {
            return RegistryProvider.Ecr;
        }

        if (AcrHost().IsMatch(host))
        {
            return RegistryProvider.Acr;
        }

        return RegistryProvider.Generic;
    }

    public static string CliName(RegistryProvider provider) => provider switch
    {
        RegistryProvider.Generic => "generic",
        RegistryProvider.DockerHub => "dockerhub",
        RegistryProvider.Ghcr => "ghcr",
        RegistryProvider.GitLab => "gitlab",
        RegistryProvider.Ecr => "ecr",
        RegistryProvider.Acr => "acr",
        RegistryProvider.DigitalOcean => "digitalocean",
        RegistryProvider.Quay => "quay",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "unknown registry provider"),
    };

    // Accepts exactly the names CliName produces, ASCII case-insensitively.
    public static bool TryParseCliName(string name, out RegistryProvider provider)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (RegistryProvider candidate in Enum.GetValues<RegistryProvider>())
        {
            if (string.Equals(CliName(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                provider = candidate;
                return true;
            }
        }

        provider = RegistryProvider.Generic;
        return false;
    }

    // Private ECR registries, as recognised by AWS's own docker-credential-ecr-login
    // (awslabs/amazon-ecr-credential-helper): <12-digit account>.dkr.ecr[-fips].<region>.<partition
    // suffix>, also the dual-stack "dkr-ecr" form, for the commercial, China, EU sovereign,
    // dual-stack (on.aws) and isolated partitions. ECR Public (public.ecr.aws) uses a different
    // login flow and is deliberately Generic. Every repetition is followed by a character it cannot
    // consume, so the pattern cannot backtrack.
    [GeneratedRegex(
        @"\A[0-9]{12}\.dkr[.-]ecr(?:-fips)?\.[a-z0-9][a-z0-9_-]*\." +
        @"(?:amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex EcrPrivateHost();

    // Azure Container Registry login servers: <registry>.azurecr.io (public cloud), .azurecr.cn
    // (Azure China), .azurecr.us (Azure Government). The label may carry the "-<hash>" suffix of
    // domain-name-label scoped registries.
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]*\.azurecr\.(?:io|cn|us)\z", RegexOptions.CultureInvariant)]
    private static partial Regex AcrHost();
}
