namespace Cluster.Leader.Agents;

// What the agents' sessions run on, from the leader's flags (--heartbeat-period). Its own type so
// Agents does not depend on the composition root's LeaderOptions (Hosting depends on Agents).
public sealed record AgentOptions
{
    // How often agents heartbeat; a node missing 3 periods is down.
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(5);
}
