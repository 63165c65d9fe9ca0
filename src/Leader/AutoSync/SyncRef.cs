using Cluster.Core.Git;
using Cluster.Core.Images;

namespace Cluster.Leader.AutoSync;

// What one check asks: the digest of (registry, repository, tag) for an image, or the head
// commit of (repository URL, branch) for a Git source. Every app that watches the same ref
// shares one check per interval, whatever else differs between them.
// For Git: Registry is the server's host, Repository the URL in GitRemote's one spelling per
// transport (so `git@host:org/x.git`, `ssh://git@host/org/x` and `ssh://git@host:22/~/org/x/`
// are one ref; an https URL with or without ".git" too), Tag the branch ("" = the remote's
// default branch).
public sealed record SyncRef(string Registry, string Repository, string Tag, SyncRefKind Kind = SyncRefKind.Image)
{
    public static SyncRef Of(string image, string tag)
    {
        var reference = ImageReference.Parse($"{image}:{tag}");
        return new SyncRef(reference.Registry, reference.Repository, tag);
    }

    // FormatException when the URL is not one GitRemote reads.
    public static SyncRef OfGit(string url, string branch)
    {
        var remote = GitRemote.Parse(url);
        var key = remote with { Path = (remote.Transport == GitTransport.Ssh ? "" : "/") + RepositoryPath(remote.Path) };
        var b = (branch ?? "").Trim();
        return new SyncRef(remote.Host, key.ToString(), b.StartsWith("refs/heads/", StringComparison.Ordinal) ? b["refs/heads/".Length..] : b, SyncRefKind.Git);
    }

    // A repository's path without the trailing "/" or ".git" that Git servers ignore, lower
    // case (GitHub and GitLab ignore case), for matching only.
    public static string RepositoryPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var p = path.TrimEnd('/');
        p = p.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? p[..^4] : p;
        return p.TrimStart('/').ToLowerInvariant();
    }

    public override string ToString() => Kind == SyncRefKind.Git
        ? $"{Repository} {(Tag.Length > 0 ? "branch " + Tag : "default branch")}"
        : $"{Registry}/{Repository}:{Tag}";
}
