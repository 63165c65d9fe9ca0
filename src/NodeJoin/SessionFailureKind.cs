namespace Cluster.NodeJoin;

// Why a session (or the join before it) ended. Decides what the loop says and whether it tries
// again: every kind is retried with backoff except Removed (the daemon pauses until an admin
// readmits the node and the daemon is restarted) and Duplicate (retried rarely, said once).
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
    // An admin removed this node (leader's "cluster-refusal: removed"): stop trying.
    Removed,
    // Another agent holds this node's swarm node or identity right now (a clone, or two agents
    // on one engine): said once, retried only every Duplicate retry period.
    Duplicate,
    // This node has not joined and has no join token to join with.
    NotJoined,
}
