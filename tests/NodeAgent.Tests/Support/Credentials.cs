using Cluster.NodeAgent.Credentials;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Tests.Support;

internal static class Credentials
{
    public static PullCredential Pull(string id, string match, ulong revision, string username = "user", string secret = "s3cret-value", string? name = null, string? server = null) => new()
    {
        Id = id,
        Name = name ?? id,
        Match = match,
        ServerAddress = server ?? match.Split('/')[0],
        Username = username,
        Secret = secret,
        Revision = revision,
    };

    public static NodeCredential Node(string id, string match, ulong revision = 1, string username = "user", string secret = "s3cret-value", string? name = null) =>
        NodeCredential.From(Pull(id, match, revision, username, secret, name));
}
