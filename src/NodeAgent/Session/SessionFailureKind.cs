namespace Cluster.NodeAgent.Session;

// Why a session (or the join before it) ended. Decides what the loop says and whether the
// identity is thrown away; every kind is retried with backoff.
internal enum SessionFailureKind
{
    Other,
    // The join token is missing, malformed, or not a join token.
    TokenInvalid,
    // The leader answered UNAUTHENTICATED to Join: wrong or rotated join token.
    JoinTokenRejected,
    // The leader answered PERMISSION_DENIED (or another refusal) to Join.
    JoinRefused,
    // The leader refused this node's certificate on Session: removed or revoked node.
    IdentityRejected,
    // The leader's TLS certificate does not chain to the CA the token pins.
    LeaderUntrusted,
    // Connection refused, DNS, timeout, network cut, leader restarting.
    LeaderUnreachable,
    // The leader closed the stream, or replaced it with a newer session of this node.
    Ended,
    // The leader broke the protocol (no SessionStarted in time, unexpected first message).
    Protocol,
    // The local Docker engine did not answer.
    Engine,
    // Not a failure: the session ends on purpose (certificate renewed) and is rebuilt at once.
    Reconnect,
}
