using Cluster.Core.Security;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.Session;

namespace Cluster.NodeAgent.Identity;

// The join token as it is now. With --join-token-file the file is read again every time, so an
// operator who puts the leader's current token there (after a rotation, or to move the node to
// another cluster) needs no restart; if the file cannot be read, the token read at start is used.
internal sealed class JoinTokenSource(AgentOptions options)
{
    public ClusterToken Current()
    {
        var text = options.JoinToken;
        if (options.JoinTokenFile is { Length: > 0 } file)
        {
            try
            {
                var fromFile = File.ReadAllText(file).Trim();
                if (fromFile.Length > 0)
                {
                    text = fromFile;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Keep the token read at start.
            }
        }

        if (!ClusterToken.TryParse(text, out var token, out var error))
        {
            throw new SessionFailure(SessionFailureKind.TokenInvalid,
                $"the join token is unusable: {error}; put the one from DATA_DIR/join.token on the leader in {(options.JoinTokenFile ?? "--join-token-file")}");
        }

        if (token.Kind != ClusterTokenKind.Join)
        {
            throw new SessionFailure(SessionFailureKind.TokenInvalid,
                "the token given is the admin token; the agent needs the join token (DATA_DIR/join.token on the leader)");
        }

        return token;
    }
}
