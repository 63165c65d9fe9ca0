using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: "build":{"commit","log"} in `deployment show`; image, digest, builder and local added.
internal sealed record BuildView(string? Commit, IReadOnlyList<string> Log, string? Image, string? Digest, string? Builder, bool Local)
{
    public static BuildView From(BuildInfo b) => new(
        string.IsNullOrEmpty(b.Commit) ? null : b.Commit,
        [.. b.Log],
        string.IsNullOrEmpty(b.Image) ? null : b.Image,
        string.IsNullOrEmpty(b.Digest) ? null : b.Digest,
        string.IsNullOrEmpty(b.Builder) ? null : b.Builder,
        b.Local);
}
