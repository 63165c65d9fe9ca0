namespace Cluster.Leader.Builds;

// How long builds may take by default (an app may set its own with --build-timeout), and how
// long a deployment waits for a free build server before it fails.
public sealed record BuildOptions
{
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromHours(6);

    // A cancelled job has this long to report its result before the leader gives up on it.
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(30);

    // How often the leader looks for registry-less apps to migrate (LocalImageMigrator): one
    // database read while none exists, plus the swarm's node list while one does.
    public TimeSpan MigrationCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    // Housekeeping (--keep-images): the newest images of each built app that build servers and
    // nodes keep; 0 keeps everything. Older ones are pruned after each deployment of a built app
    // and every HousekeepingInterval, except any image a service or running deployment uses.
    public int KeepImagesPerApp { get; init; } = Core.Builds.ImageRetention.DefaultKeepPerApp;

    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromHours(1);
}
