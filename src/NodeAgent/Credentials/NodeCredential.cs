using Cluster.Core.Credentials;
using Cluster.Core.Registry;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Credentials;

// A pull credential as this node holds it: in memory only. ToString never shows the secret,
// so a log line or exception that formats one cannot leak it (the generated PullCredential
// prints every field, which is why the agent never keeps or logs that type).
internal sealed record NodeCredential
{
    public required string Id { get; init; }

    // The operator's name for it, for messages ("registry 'ghcr-ro': unauthorized").
    public required string Name { get; init; }

    // Keyring key: host[:port][/path-prefix].
    public required string Match { get; init; }

    // Address the engine logs into.
    public required string ServerAddress { get; init; }

    public required string Username { get; init; }

    public required string Secret { get; init; }

    public bool Insecure { get; init; }

    // Revision at which this credential last changed.
    public ulong Revision { get; init; }

    public static NodeCredential From(PullCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new NodeCredential
        {
            Id = credential.Id,
            Name = credential.Name.Length > 0 ? credential.Name : credential.Id,
            Match = credential.Match,
            ServerAddress = credential.ServerAddress.Length > 0 ? credential.ServerAddress : ServerAddressOf(credential.Match),
            Username = credential.Username,
            Secret = credential.Secret,
            Insecure = credential.Insecure,
            Revision = credential.Revision,
        };
    }

    // The leader always sends the address; an older one might not: the engine logs into the
    // registry host, never a path.
    private static string ServerAddressOf(string match) =>
        string.IsNullOrWhiteSpace(match) ? "" : ProviderRules.EngineServerAddress(KeyringKey.Parse(match).Host);

    public RegistryLogin ToLogin() => new(ServerAddress, Username, Secret);

    public override string ToString() => $"credential '{Name}' ({Match}, revision {Revision}, secret redacted)";
}
