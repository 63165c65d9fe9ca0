namespace Cluster.Leader.Webhooks;

// The sources a webhook can come from, each with its own way of proving the secret.
public static class WebhookKinds
{
    // distribution's notifications: `Authorization: Bearer SECRET` (endpoint `headers:`).
    public const string Registry = "registry";

    // Docker Hub signs nothing: the secret travels as `?token=SECRET` on the URL.
    public const string DockerHub = "dockerhub";

    // GitHub: `X-Hub-Signature-256: sha256=HMAC-SHA256(SECRET, body)`.
    public const string GitHub = "github";

    // GitLab: `X-Gitlab-Token: SECRET`.
    public const string GitLab = "gitlab";

    public static readonly IReadOnlyList<string> All = [Registry, DockerHub, GitHub, GitLab];
}
