using Cluster.Core.Security;

namespace Cluster.NodeJoin;

// The join token as it is now, or none. With --join-token-file the file is read again every
// time, so an operator who puts the leader's current token there (after a rotation, to move the
// node to another cluster, or after `clusterctl node readmit`) needs no restart. A missing or
// empty file means "no join token": install.sh deletes the file once the node has joined,
// because a joined node renews its certificate with the certificate itself.
internal sealed class JoinTokenSource(INodeJoinOptions options)
{
    // Null when no token is configured or the file is gone; throws for a malformed token or the
    // admin token, which is a mistake worth saying.
    public ClusterToken? Current()
    {
        var text = options.JoinTokenFile is { Length: > 0 } ? ReadFile(options.JoinTokenFile) : options.JoinToken;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!ClusterToken.TryParse(text, out var token, out var error))
        {
            throw new SessionFailure(SessionFailureKind.TokenInvalid,
                $"the join token is unusable: {error}; put the one from DATA_DIR/join.token on the leader in {(options.JoinTokenFile ?? "--join-token-file")}");
        }

        if (token.Kind != ClusterTokenKind.Join)
        {
            throw new SessionFailure(SessionFailureKind.TokenInvalid,
                "the token given is the admin token; the node needs the join token (DATA_DIR/join.token on the leader)");
        }

        return token;
    }

    // The file wins over the token given at start; when the file cannot be read, the token read
    // at start (if any) is used.
    private string ReadFile(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return options.JoinToken;
        }
    }
}
