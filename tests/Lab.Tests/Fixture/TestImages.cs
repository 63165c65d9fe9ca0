using Cluster.Core.Docker;

namespace Cluster.Lab.Tests.Fixture;

// Images for tests, built FROM scratch (no registry on the internet is reachable) with the
// static busybox from Debian's busybox-static. Each build carries a marker file so that
// different markers give different digests.
public static class TestImages
{
    public const string Busybox = "/bin/busybox";

    // An image whose process exits with an error at once: its tasks never stay running.
    public static BuildContext Crashing(string marker) => new BuildContext()
        .AddText("Dockerfile", """
            FROM scratch
            COPY busybox /bin/busybox
            COPY marker /marker
            CMD ["/bin/busybox", "false"]
            """)
        .AddFile("busybox", Busybox, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)
        .AddText("marker", marker + "\n");

    public static BuildContext Context(string marker) => new BuildContext()
        .AddText("Dockerfile", """
            FROM scratch
            COPY busybox /bin/busybox
            COPY marker /marker
            CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
            """)
        .AddFile("busybox", Busybox, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)
        .AddText("marker", marker + "\n");

    // An image that runs but never becomes healthy (its check always fails, and the start period
    // is long): swarm keeps its tasks "starting", so an update onto it stays in progress for
    // minutes; a deployment sits in confirm meanwhile.
    public static BuildContext NeverHealthy(string marker) => new BuildContext()
        .AddText("Dockerfile", """
            FROM scratch
            COPY busybox /bin/busybox
            COPY marker /marker
            HEALTHCHECK --interval=30s --timeout=5s --start-period=600s CMD ["/bin/busybox", "false"]
            CMD ["/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
            """)
        .AddFile("busybox", Busybox, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute)
        .AddText("marker", marker + "\n");
}
