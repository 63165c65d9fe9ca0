using System.Security.Cryptography;
using System.Text;

namespace Cluster.Leader.Webhooks;

// Checks that a delivery carries its webhook's secret, the way its kind sends it. Every
// comparison is constant-time over SHA-256 digests of both sides, so neither the content nor
// the length of the secret leaks through timing. Returns null when the delivery is genuine,
// else why it is refused (never echoing what was sent).
public static class WebhookVerifier
{
    public static string? Refusal(string kind, string secret, Func<string, string?> header, Func<string, string?> query, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(query);
        switch (kind)
        {
            case WebhookKinds.Registry:
            {
                var authorization = header("Authorization");
                if (authorization is null)
                {
                    return "no Authorization header (configure the registry's notification endpoint with headers: Authorization: [Bearer SECRET])";
                }

                return SameSecret(authorization, "Bearer " + secret) ? null : "wrong Authorization bearer secret";
            }

            case WebhookKinds.DockerHub:
            {
                var token = query("token");
                if (token is null)
                {
                    return "no ?token= on the URL (Docker Hub webhooks carry the secret as ?token=SECRET)";
                }

                return SameSecret(token, secret) ? null : "wrong token";
            }

            case WebhookKinds.GitHub:
            {
                var signature = header("X-Hub-Signature-256");
                if (signature is null)
                {
                    return "no X-Hub-Signature-256 header (set the webhook's secret in GitHub)";
                }

                var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
                return SameSecret(signature.Trim().ToLowerInvariant(), expected) ? null : "bad X-Hub-Signature-256 signature";
            }

            case WebhookKinds.GitLab:
            {
                var token = header("X-Gitlab-Token");
                if (token is null)
                {
                    return "no X-Gitlab-Token header (set the webhook's secret token in GitLab)";
                }

                return SameSecret(token, secret) ? null : "wrong X-Gitlab-Token";
            }

            default:
                return $"unknown webhook kind '{kind}'";
        }
    }

    private static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
