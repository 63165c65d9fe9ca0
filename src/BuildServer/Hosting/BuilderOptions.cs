namespace Cluster.BuildServer.Hosting;

public sealed record BuilderOptions
{
    public required string Leader { get; init; }

    // Never logged; ToString below keeps it out of any formatted output.
    public required string JoinToken { get; init; }

    public required string WorkDir { get; init; }

    public required Uri DockerHost { get; init; }

    public override string ToString() => $"BuilderOptions {{ Leader = {Leader}, WorkDir = {WorkDir}, DockerHost = {DockerHost} }}";
}
