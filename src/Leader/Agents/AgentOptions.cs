namespace Cluster.Leader.Agents;

// What the sessions of agents and build servers run on, from the leader's flags
// (--heartbeat-period). Its own type so neither Agents nor Builds depends on the composition
// root's LeaderOptions (Hosting depends on both).
public sealed record AgentOptions
{
    // How often agents and build servers heartbeat; a node missing 3 periods is down.
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(5);
}
