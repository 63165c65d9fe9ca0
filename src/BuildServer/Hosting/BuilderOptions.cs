using Cluster.Hosting;
using Cluster.NodeJoin;
using Cluster.Protos.Join.V1;

namespace Cluster.BuildServer.Hosting;

// What cluster-builder is told at start; it is also what the shared join code (src/NodeJoin)
// reads, enrolling in role builder so the leader lets this certificate open builder sessions only.
public sealed record BuilderOptions : INodeJoinOptions
{
    public required string Leader { get; init; }

    // Never logged; ToString below keeps it out of any formatted output.
    // Empty once joined: the builder renews with its certificate, like the agent.
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

    public Role Role => Role.Builder;

    string INodeJoinOptions.StateDir => IdentityDir;

    // A leader that accepts the stream but sends no session_started within this fails the session.
    public TimeSpan SessionStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    // Deadline of each unary call (Join, Renew) and the connect timeout.
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // HTTP/2 keepalive: a network cut is noticed within about delay + timeout.
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(10);

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


    public override string ToString() => $"BuilderOptions {{ Leader = {Leader}, WorkDir = {WorkDir}, DockerHost = {DockerHost}, Parallelism = {Parallelism} }}";
}
