using Cluster.Core.Docker;
using Cluster.Core.Registry;

namespace Cluster.Core.Builds;

// Carries out ImageRetention on one engine (a build server's, or a node's through its agent):
// lists the images with the product's app label, picks what to drop, and removes each through
// its references, never forced. An image a container uses, or one the engine refuses to drop
// for another reason, is kept and said so; pruning is housekeeping and never fails its caller
// for one image.
public static class ImagePruner
{
    public sealed record Report(int Candidates, IReadOnlyList<string> Removed, IReadOnlyList<string> Kept);

    public static async Task<Report> PruneAsync(IDockerEngine engine, int keepPerApp, IEnumerable<string> keep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(keep);
        if (keepPerApp <= 0)
        {
            return new Report(0, [], []);
        }

        var images = await engine.ListImagesWithLabelAsync(ImageRetention.AppLabel, cancellationToken).ConfigureAwait(false);
        var drop = ImageRetention.ToRemove(images, keepPerApp, keep);
        var removed = new List<string>();
        var kept = new List<string>();
        foreach (var image in drop)
        {
            var name = image.RepoTags.Count > 0 ? image.RepoTags[0] : image.RepoDigests.Count > 0 ? image.RepoDigests[0] : image.Id;
            try
            {
                foreach (var reference in ImageRetention.ReferencesOf(image))
                {
                    try
                    {
                        await engine.RemoveImageReferenceAsync(reference, cancellationToken).ConfigureAwait(false);
                    }
                    catch (DockerOperationException e) when (e.Kind == RegistryFailureKind.NotFound)
                    {
                        // Gone already (another pruner on the same engine, or an operator).
                    }
                }

                removed.Add($"{name} ({image.Labels[ImageRetention.AppLabel]})");
            }
            catch (DockerOperationException e) when (e.Kind != RegistryFailureKind.Engine)
            {
                kept.Add($"{name}: {e.Detail}");
            }
        }

        return new Report(drop.Count, removed, kept);
    }
}
