namespace Cluster.Leader.Apps;

// Where an app's image comes from (AppRecord.Source): a registry image, a Git repository that
// the build servers build, or a folder sent with each deployment (`--from-dir`). Apps owns these
// words; the features acting on one source (Builds, Sources, AutoSync, Deployments) read them here.
public static class AppSources
{
    public const string Image = "image";

    public const string Git = "git";

    public const string Dir = "dir";

    // Repository prefix of images kept in one engine (a built app before its first build, and
    // builds kept local in registry-less mode, BuildTopology): "<this>/<app>:<tag>". Swarm's
    // executor tries to pull a task's image before every start, even one the engine has (moby
    // daemon/cluster/executor/container: it only logs the failure), so the name must fail that
    // pull at once and never be served by anyone else. An IP literal needs no DNS (the first
    // choice, "cluster-build.invalid", cost a resolver timeout per task start on a node whose
    // DNS server does not answer: 40 s in the lab, measured by bench/Build), and port 1 on the
    // node's own loopback (tcpmux, privileged, unused) refuses the connection at once; loopback
    // registries are plain HTTP to the engine, so both its https and http tries end the same way.
    public const string LocalRepository = "127.0.0.1:1/cluster-build";

    // A full commit SHA (40 or 64 hex digits): a Git ref that never moves.
    public static bool IsCommit(string gitRef) =>
        gitRef is { Length: 40 or 64 } && gitRef.All(char.IsAsciiHexDigit);
}
