namespace Cluster.Core.Docker;

// What a node's engine says about itself. Hostname comes from the engine, not the OS: several
// engines may share one kernel (the lab), and swarm shows the engine's name.
public sealed record EngineInfo(
    string EngineId,
    string Hostname,
    string Version,
    string Architecture,
    string? SwarmNodeId,
    bool IsSwarmManager);
