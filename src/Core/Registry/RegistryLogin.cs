namespace Cluster.Core.Registry;

// A username and secret for one registry. The secret is readable by code that must send it,
// but this type never prints it: ToString is redacted so a log line or exception message that
// formats a login cannot leak it.
public sealed class RegistryLogin
{
    public RegistryLogin(string serverAddress, string username, string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverAddress);
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(secret);
        ServerAddress = serverAddress;
        Username = username;
        Secret = secret;
    }

    // host[:port] as the engine expects it ("https://index.docker.io/v1/" for Docker Hub).
    public string ServerAddress { get; }

    public string Username { get; }

    public string Secret { get; }

    public override string ToString() => $"{Username}@{ServerAddress} (secret redacted)";
}
