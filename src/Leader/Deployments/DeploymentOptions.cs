namespace Cluster.Leader.Deployments;

public sealed record DeploymentOptions
{
    // How long resolving the tag may keep retrying while the registry rate-limits (429 with or
    // without Retry-After); a wait that would pass it is not taken and the deployment fails,
    // saying so (issue #13.4).
    public TimeSpan ResolveDeadline { get; init; } = TimeSpan.FromMinutes(2);

    // How long every eligible node has to pre-pull the image before the deployment fails.
    public TimeSpan PrePullDeadline { get; init; } = TimeSpan.FromMinutes(5);

    // How long swarm has to run every task on the pinned digest before the leader rolls back.
    public TimeSpan ConvergeDeadline { get; init; } = TimeSpan.FromMinutes(3);
}
