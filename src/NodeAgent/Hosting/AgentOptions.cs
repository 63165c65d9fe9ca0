using Cluster.Hosting;
using Cluster.NodeJoin;
using Cluster.Protos.Join.V1;

namespace Cluster.NodeAgent.Hosting;

// Everything the agent is told at start. Validated once (Validate) so a bad value fails at
// start with a message naming the flag, not at the first session.
public sealed record AgentOptions : INodeJoinOptions
{
    public required string Leader { get; init; }

    // Never logged; ToString below keeps it out of any formatted output. When JoinTokenFile is
    // set, the file is read again before every join, so an operator who replaces a rotated token
    // in the file needs no restart. Empty once the node has joined: it renews with its
    // certificate, and install.sh deletes the token file after the join.
    public string JoinToken { get; init; } = "";

    public string? JoinTokenFile { get; init; }

    public required string StateDir { get; init; }

    public Role Role => Role.Agent;

    public required Uri DockerHost { get; init; }

    // --write-docker-config: also write the pull credentials into the node's docker CLI config
    // (DockerConfigFile, auths, 0600) for the operator's own `docker pull`. Off by default:
    // credentials otherwise live in memory only.
    public bool WriteDockerConfig { get; init; }

    // $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json, as the docker CLI reads it.
    public string DockerConfigFile { get; init; } = DefaultDockerConfigFile();

    // Every credential is checked again through the engine this often, so a password changed at
    // the registry turns the node's check red without anyone touching the cluster.
    public TimeSpan CredentialRecheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    // A leader that accepts the stream but sends no SessionStarted within this is treated as
    // a failed session (swarmkit's registration timeout).
    public TimeSpan SessionStartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    // HTTP/2 keepalive: a network cut is noticed within about delay + timeout even while the
    // leader has nothing to send (heartbeats are one-way, so writes alone would not notice).
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(10);

    // Deadline of each unary call (Join) and of each engine login check.
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string NodeKeyFile => Path.Combine(StateDir, "node.key");

    public string NodeCertificateFile => Path.Combine(StateDir, "node.crt");

    public IEnumerable<string> Validate()
    {
        if (!DaemonCommandLine.TryParseHostPort(Leader, out _, out _))
        {
            yield return $"--leader '{Leader}' is not HOST:PORT (for example 10.0.0.1:7443)";
        }

        if (!Path.IsPathRooted(StateDir))
        {
            yield return $"--state-dir '{StateDir}' must be an absolute path";
        }

        foreach (var (name, value) in new[]
        {
            (nameof(CredentialRecheckInterval), CredentialRecheckInterval),
            (nameof(SessionStartTimeout), SessionStartTimeout),
            (nameof(KeepAlivePingDelay), KeepAlivePingDelay),
            (nameof(KeepAlivePingTimeout), KeepAlivePingTimeout),
            (nameof(CallTimeout), CallTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return $"{name} must be positive, not {value}";
            }
        }
    }

    public override string ToString() =>
        $"AgentOptions {{ Leader = {Leader}, StateDir = {StateDir}, DockerHost = {DockerHost}, WriteDockerConfig = {WriteDockerConfig} }}";

    private static string DefaultDockerConfigFile()
    {
        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrWhiteSpace(dir))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            dir = Path.Combine(string.IsNullOrWhiteSpace(home) ? "/root" : home, ".docker");
        }

        return Path.Combine(dir, "config.json");
    }
}
