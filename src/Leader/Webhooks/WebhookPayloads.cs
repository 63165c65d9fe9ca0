using System.Text.Json;

namespace Cluster.Leader.Webhooks;

// Reads which images (or Git branches: GitHub and GitLab push events) a (verified) delivery names. Nothing from a payload is ever used as a
// digest or a tag to deploy: the hints only pick which watched refs are checked now.
// Returns null when the delivery asks for nothing (a registry's pull events, which our own
// checks cause and which must not cause checks in turn; GitHub's ping), and an empty list when
// it names no image but asks for a check (then every watched ref is checked).
public static class WebhookPayloads
{
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    ];

    public static IReadOnlyList<WebhookHint>? Hints(string kind, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return kind == WebhookKinds.Registry ? null : [];
        }

        using (document)
        {
            var root = document.RootElement;
            return kind switch
            {
                WebhookKinds.Registry => Registry(root),
                WebhookKinds.DockerHub => DockerHub(root),
                WebhookKinds.GitHub => GitHub(root, header("X-GitHub-Event")),
                WebhookKinds.GitLab => GitLab(root, header("X-Gitlab-Event")),
                _ => null,
            };
        }
    }

    // distribution's envelope: {"events":[{"action":"push","target":{"mediaType","repository",
    // "tag"}}]}. Only manifest pushes count; blob pushes and pulls are ignored.
    private static List<WebhookHint>? Registry(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var hints = new List<WebhookHint>();
        foreach (var e in events.EnumerateArray().Take(100))
        {
            if (String(e, "action") != "push" || !e.TryGetProperty("target", out var target) || target.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var mediaType = String(target, "mediaType");
            var repository = String(target, "repository");
            if (repository is null || (mediaType is not null && !ManifestTypes.Contains(mediaType, StringComparer.Ordinal)))
            {
                continue;
            }

            hints.Add(new WebhookHint(repository, String(target, "tag")));
        }

        return hints.Count == 0 ? null : hints;
    }

    // {"push_data":{"tag":"latest"},"repository":{"repo_name":"acme/web"}}
    private static List<WebhookHint> DockerHub(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("repository", out var repo) && String(repo, "repo_name") is { } name)
        {
            var tag = root.TryGetProperty("push_data", out var push) ? String(push, "tag") : null;
            return [new WebhookHint(name.Contains('/', StringComparison.Ordinal) ? name : "library/" + name, tag)];
        }

        return [];
    }

    // Package events name the container and tag; a push names its repository's clone URLs and
    // the branch (a tag push or a branch deletion asks for nothing); a ping asks for nothing;
    // anything else checks every watched ref.
    private static List<WebhookHint>? GitHub(JsonElement root, string? gitHubEvent)
    {
        if (gitHubEvent == "ping")
        {
            return null;
        }

        if (gitHubEvent == "push")
        {
            return Push(root, "repository", ["clone_url", "ssh_url", "git_url", "html_url"]);
        }

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("package", out var package) && package.ValueKind == JsonValueKind.Object &&
            String(package, "name") is { } name)
        {
            var owner = package.TryGetProperty("owner", out var o) ? String(o, "login") : String(package, "namespace");
            string? tag = null;
            if (package.TryGetProperty("package_version", out var version) && version.ValueKind == JsonValueKind.Object &&
                version.TryGetProperty("container_metadata", out var meta) && meta.ValueKind == JsonValueKind.Object &&
                meta.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                tag = String(t, "name") is { Length: > 0 } n ? n : null;
            }

            return [new WebhookHint(owner is null ? name : $"{owner.ToLowerInvariant()}/{name}", tag)];
        }

        return [];
    }

    // GitLab push hooks: {"object_kind":"push","ref":"refs/heads/main","project":{"git_http_url",
    // "git_ssh_url","web_url"}}; other hooks (tag pushes, pipelines, registry) check every watched ref.
    private static List<WebhookHint>? GitLab(JsonElement root, string? gitLabEvent)
    {
        var kind = root.ValueKind == JsonValueKind.Object ? String(root, "object_kind") : null;
        if (kind == "push" || (kind is null && gitLabEvent == "Push Hook"))
        {
            return Push(root, "project", ["git_http_url", "git_ssh_url", "web_url"]);
        }

        return [];
    }

    // A push: one Git hint per clone URL the payload gives, with the branch. Null (nothing to
    // check) for a tag push, a deleted branch (all-zero "after") or a payload without them.
    private static List<WebhookHint>? Push(JsonElement root, string repositoryProperty, string[] urlProperties)
    {
        if (root.ValueKind != JsonValueKind.Object || String(root, "ref") is not { } pushed || !pushed.StartsWith("refs/heads/", StringComparison.Ordinal) ||
            (String(root, "after") is { } after && after.Length > 0 && after.All(c => c == '0')) ||
            !root.TryGetProperty(repositoryProperty, out var repository) || repository.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var branch = pushed["refs/heads/".Length..];
        var hints = urlProperties.Select(p => String(repository, p)).Where(u => !string.IsNullOrWhiteSpace(u)).Distinct(StringComparer.Ordinal)
            .Select(u => new WebhookHint(u!, branch, Git: true)).ToList();
        return hints.Count == 0 ? null : hints;
    }

    private static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
