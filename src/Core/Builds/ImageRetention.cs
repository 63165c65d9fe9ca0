using Cluster.Core.Docker;
using Cluster.Core.Images;

namespace Cluster.Core.Builds;

// Which built images an engine may drop (issue #10 item 7): per app, the newest `keepPerApp`
// stay; an older one goes unless something still needs it. Pure, so every case is tested
// without an engine; ImagePruner carries it out.
//
// Only images this product built are ever candidates (IsOwned): they carry both the AppLabel and
// the DeploymentLabel the build servers set (the name alone proves nothing: anyone can tag an
// image "registry/ns/web"), AND every reference they have is one the product gives its builds,
// ".../APP" for the app the label names (the labels alone prove nothing either: an image the
// operator builds FROM a built one inherits them, and a tag the operator adds to a built image
// would go with it). Anything else is neither removed nor counted among an app's newest. `keep` names what services and running deployments use, as they name it:
// "repo:tag" (a registry-less image), "repo@digest" or "repo:tag@digest" (the digest decides:
// nodes hold pinned images by digest, often without a tag), or an image id "sha256:...".
public static class ImageRetention
{
    public const string AppLabel = "cluster.app";

    public const string DeploymentLabel = "cluster.deployment";

    public const int DefaultKeepPerApp = 5;

    public static IReadOnlyList<EngineImage> ToRemove(IEnumerable<EngineImage> images, int keepPerApp, IEnumerable<string> keep)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(keep);
        if (keepPerApp <= 0)
        {
            return [];
        }

        var wanted = Wanted.From(keep);
        return images
            .Where(IsOwned)
            .GroupBy(i => i.Labels[AppLabel], StringComparer.Ordinal)
            .SelectMany(app => app
                .OrderByDescending(i => i.Created)
                .ThenBy(i => i.Id, StringComparer.Ordinal)
                .Skip(keepPerApp)
                .Where(i => !wanted.Matches(i)))
            .ToList();
    }

    public static bool IsBuilt(EngineImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Labels.TryGetValue(AppLabel, out var app) && app.Length > 0 &&
            image.Labels.TryGetValue(DeploymentLabel, out var deployment) && deployment.Length > 0;
    }

    // Built by this product and named only as it names its builds: at least one reference, and
    // each one's repository ends in the path segment the app label names ("127.0.0.1:1/cluster-
    // build/web:tag", "10.0.0.5:5000/ns/web@sha256:..." for app "web"). A dangling image (no
    // reference) is not provably the product's, so it is left alone.
    public static bool IsOwned(EngineImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!IsBuilt(image))
        {
            return false;
        }

        var app = image.Labels[AppLabel];
        var references = image.RepoTags.Concat(image.RepoDigests).ToList();
        return references.Count > 0 && references.All(r =>
            ImageReference.TryParse(r, out var parsed, out _) &&
            parsed.Repository.Split('/')[^1] == app);
    }

    // The references to remove one by one (tags, then digests; the engine deletes the image with
    // its last one), or the id for an image no reference names.
    public static IReadOnlyList<string> ReferencesOf(EngineImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var references = image.RepoTags.Concat(image.RepoDigests).ToList();
        return references.Count > 0 ? references : [image.Id];
    }

    private sealed class Wanted
    {
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly HashSet<string> _tagged = new(StringComparer.Ordinal);
        private readonly HashSet<string> _digested = new(StringComparer.Ordinal);

        public static Wanted From(IEnumerable<string> keep)
        {
            var wanted = new Wanted();
            foreach (var reference in keep)
            {
                if (string.IsNullOrWhiteSpace(reference))
                {
                    continue;
                }

                var text = reference.Trim();
                if (text.StartsWith("sha256:", StringComparison.Ordinal))
                {
                    wanted._ids.Add(text);
                }
                else if (ImageReference.TryParse(text, out var image, out _))
                {
                    if (image.Digest is { } digest)
                    {
                        wanted._digested.Add($"{image.Name}@{digest}");
                    }
                    else
                    {
                        wanted._tagged.Add($"{image.Name}:{image.Tag ?? "latest"}");
                    }
                }
            }

            return wanted;
        }

        public bool Matches(EngineImage image) =>
            _ids.Contains(image.Id) ||
            image.RepoTags.Any(t => ImageReference.TryParse(t, out var r, out _) && _tagged.Contains($"{r.Name}:{r.Tag ?? "latest"}")) ||
            image.RepoDigests.Any(d => ImageReference.TryParse(d, out var r, out _) && r.Digest is not null && _digested.Contains($"{r.Name}@{r.Digest}"));
    }
}
