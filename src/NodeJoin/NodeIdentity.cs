using System.Security.Cryptography.X509Certificates;

namespace Cluster.NodeJoin;

// This node's identity: the id the leader gave it, its client certificate (with the private
// key, which never left the node) and the leader's CA that issued it. The leader takes the node
// id from the certificate, never from a message field.
internal sealed class NodeIdentity(string nodeId, X509Certificate2 certificate, X509Certificate2 ca)
{
    public string NodeId { get; } = nodeId;

    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2 Ca { get; } = ca;

    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    // Renewal starts when a third of the lifetime is left (swarmkit renews in the same window),
    // early enough that a leader down for a while does not strand the node with an expired one.
    public DateTimeOffset RenewAt => IdentityRules.RenewAt(NotBefore, NotAfter);

    // The pin for every later connection: this CA was checked against the join token at join.
    public string CaFingerprint => Cluster.Core.Security.ClusterToken.FingerprintOf(Ca.RawData);

    public override string ToString() => $"node {NodeId} (certificate valid until {NotAfter:u})";
}
