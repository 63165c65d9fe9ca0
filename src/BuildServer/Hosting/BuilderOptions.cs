using Cluster.Hosting;
using Cluster.NodeAgent.Hosting;

namespace Cluster.BuildServer.Hosting;

public sealed record BuilderOptions
{
    public required string Leader { get; init; }

    // Never logged; ToString below keeps it out of any formatted output.
    public required string JoinToken { get; init; }

    // When set, read again before every join (as the agent does).
    public string? JoinTokenFile { get; init; }

    public required string WorkDir { get; init; }

    public required Uri DockerHost { get; init; }

    // Jobs run at once; the leader never sends more than this.
    public int Parallelism { get; init; } = 1;

    // The builder's identity (node.key, node.crt, ca.crt, node.id) lives here, apart from the
    // job directories.
    public string IdentityDir => Path.Combine(WorkDir, "identity");

    public IEnumerable<string> Validate()
    {
        if (!DaemonCommandLine.TryParseHostPort(Leader, out _, out _))
        {
            yield return $"--leader '{Leader}' is not HOST:PORT (for example 10.0.0.1:7443)";
        }

        if (!Path.IsPathRooted(WorkDir))
        {
            yield return $"--work-dir '{WorkDir}' must be an absolute path";
        }

        if (Parallelism is < 1 or > 16)
        {
            yield return $"--parallel {Parallelism} must be between 1 and 16";
        }
    }

    // The agent's settings for the shared identity and channel code, joining as a builder.
    public AgentOptions ToAgentOptions() => new()
    {
        Leader = Leader,
        JoinToken = JoinToken,
        JoinTokenFile = JoinTokenFile,
        StateDir = IdentityDir,
        DockerHost = DockerHost,
        JoinRole = Cluster.Protos.Join.V1.Role.Builder,
    };

    public override string ToString() => $"BuilderOptions {{ Leader = {Leader}, WorkDir = {WorkDir}, DockerHost = {DockerHost}, Parallelism = {Parallelism} }}";
}
