using Cluster.Protos.Join.V1;

namespace Cluster.NodeJoin;

// What a node daemon (cluster-agent, cluster-builder) tells the join machinery: where the
// leader is, where its identity lives, which role it enrolls in, and how long calls may take.
// The daemon's own options record implements it (AgentOptions does), validated at start.
internal interface INodeJoinOptions
{
    // HOST:PORT of the leader.
    string Leader { get; }

    // The role this daemon enrolls in; the leader refuses a certificate used in another role.
    Role Role { get; }

    // The join token given at start ("" when none). Only Enrollment.Join uses it; a joined node
    // renews with its certificate and needs no join token.
    string JoinToken { get; }

    // When set, read again before every join, so a token replaced in the file needs no restart;
    // a missing file means "no join token" (install.sh deletes it once the node has joined).
    string? JoinTokenFile { get; }

    // Owner-only directory holding enrollment.id, node.key, node.crt, ca.crt and node.id.
    string StateDir { get; }

    // Deadline of each unary call (Join, Renew) and the connect timeout.
    TimeSpan CallTimeout { get; }

    // HTTP/2 keepalive: a network cut is noticed within about delay + timeout.
    TimeSpan KeepAlivePingDelay { get; }

    TimeSpan KeepAlivePingTimeout { get; }
}
