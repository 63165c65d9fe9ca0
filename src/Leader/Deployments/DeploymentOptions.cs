namespace Cluster.Leader.Deployments;

public sealed record DeploymentOptions
{
    // How long every eligible node has to pre-pull the image before the deployment fails.
    public TimeSpan PrePullDeadline { get; init; } = TimeSpan.FromMinutes(5);

    // How long swarm has to run every task on the pinned digest before the leader rolls back.
    public TimeSpan ConvergeDeadline { get; init; } = TimeSpan.FromMinutes(3);
}
