namespace Cluster.NodeAgent.Hosting;

public sealed record AgentOptions
{
    public required string Leader { get; init; }

    // Never logged; ToString below keeps it out of any formatted output.
    public required string JoinToken { get; init; }

    public required string StateDir { get; init; }

    public required Uri DockerHost { get; init; }

    public override string ToString() => $"AgentOptions {{ Leader = {Leader}, StateDir = {StateDir}, DockerHost = {DockerHost} }}";
}
