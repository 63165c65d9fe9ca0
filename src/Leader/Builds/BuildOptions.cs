namespace Cluster.Leader.Builds;

// How long builds may take by default (an app may set its own with --build-timeout), and how
// long a deployment waits for a free build server before it fails.
public sealed record BuildOptions
{
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromHours(6);

    // A cancelled job has this long to report its result before the leader gives up on it.
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(30);
}
