using Cluster.Core.Images;

namespace Cluster.Leader.AutoSync;

// What one check asks a registry: the digest of (registry, repository, tag). Every app that
// watches the same three shares one check per interval, whatever else differs between them.
public sealed record SyncRef(string Registry, string Repository, string Tag)
{
    public static SyncRef Of(string image, string tag)
    {
        var reference = ImageReference.Parse($"{image}:{tag}");
        return new SyncRef(reference.Registry, reference.Repository, tag);
    }

    public override string ToString() => $"{Registry}/{Repository}:{Tag}";
}
