using Cluster.Core.Registry;

namespace Cluster.Leader.Credentials;

// What to do when `registry add|update` is refused, chosen by the kind of failure: a registry
// that answered (wrong password, missing scope, no such path) needs a different fix from one the
// leader could not reach, and only the latter is a case for --no-verify. Pure; returns "" or
// "; <hint>" to append to the failure's own message.
public static class VerifyHints
{
    public static string For(RegistryCheck check, bool hasLogin)
    {
        ArgumentNullException.ThrowIfNull(check);
        var hint = check.Failure switch
        {
            RegistryFailureKind.Unauthorized when hasLogin =>
                "the registry answered and refused the login: check --username and the password or token on stdin (its value, expiry and that it is a token the registry accepts for logins)",
            RegistryFailureKind.Unauthorized =>
                "the registry answered and requires a login: give --username and --password-stdin",
            RegistryFailureKind.Forbidden =>
                "the registry accepted the login but refused the request: check the token's scopes or the account's permissions on this registry (pull; push for a build registry)",
            RegistryFailureKind.NotFound =>
                "the registry answered but not for this path: check --url (the registry host, e.g. ghcr.io or HOST:5000, optionally with an image path prefix)",
            RegistryFailureKind.Tls when !check.Message.Contains("--insecure", StringComparison.Ordinal) =>
                "if the registry serves plain HTTP or a self-signed certificate, add it with --insecure",
            RegistryFailureKind.Tls => null, // the message already says --insecure
            RegistryFailureKind.RateLimited =>
                "the registry is rate limiting the leader: try again " + (check.RetryAfter is { } wait ? $"in {Math.Ceiling(wait.TotalSeconds)} s" : "later"),
            RegistryFailureKind.Unreachable =>
                "use --no-verify to store it unverified if the leader cannot reach this registry but the nodes can",
            _ => "check --url and the registry; use --no-verify to store it unverified only if the leader cannot reach this registry but the nodes can",
        };
        return hint is null ? "" : "; " + hint;
    }
}
