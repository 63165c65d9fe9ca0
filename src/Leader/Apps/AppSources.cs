namespace Cluster.Leader.Apps;

// Where an app's image comes from (AppRecord.Source): a registry image, a Git repository that
// the build servers build, or a folder sent with each deployment (`--from-dir`). Apps owns these
// words; the features acting on one source (Builds, Sources, AutoSync, Deployments) read them here.
public static class AppSources
{
    public const string Image = "image";

    public const string Git = "git";

    public const string Dir = "dir";

    // Repository of images kept in one engine (a built app before its first build, and builds
    // kept local in registry-less mode, BuildTopology). The ".invalid" top-level domain never
    // resolves (RFC 2606), so no node can ever pull a same-named image from somewhere else
    // instead of the local one.
    public const string LocalRepositoryHost = "cluster-build.invalid";

    // A full commit SHA (40 or 64 hex digits): a Git ref that never moves.
    public static bool IsCommit(string gitRef) =>
        gitRef is { Length: 40 or 64 } && gitRef.All(char.IsAsciiHexDigit);
}
