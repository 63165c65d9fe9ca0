using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Agents;

// Who is calling a node-facing RPC: the client certificate (mutual TLS) must chain to the
// leader's CA and be the one certificate currently recorded for that node. A removed node's
// certificate, or an older one replaced by a re-join, is refused. Refusals are OperationException
// (Unauthenticated, or PermissionDenied with a NodeRefusal) for the API layer to map.
public sealed class NodeAuthenticator(LeaderPki pki, NodeStore nodes)
{
    // certificate: the client certificate the caller presented over TLS, null when none.
    public NodeRecord Authenticate(X509Certificate2? certificate, string role)
    {
        var (node, _) = AuthenticateAnyRole(certificate);
        if (node.Role != role)
        {
            throw new OperationException(OperationError.PermissionDenied, $"node {node.Id} joined as {node.Role}, not {role}");
        }

        return node;
    }

    // The node and the thumbprint of the certificate it presented (Renew needs it: a renewal
    // must replace exactly the certificate that authenticated it).
    public (NodeRecord Node, string Thumbprint) AuthenticateAnyRole(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            throw new OperationException(OperationError.Unauthenticated, "no client certificate: join first with the join token (cluster.join.v1.Enrollment/Join)");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pki.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Nothing fetched from URLs a peer's certificate names; node certificates are client-auth.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(PinnedCa.ClientAuthOid));
        if (!chain.Build(certificate))
        {
            throw new OperationException(OperationError.Unauthenticated, "client certificate is not issued by this leader's CA; join this cluster with its join token");
        }

        var nodeId = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var node = nodes.Get(nodeId);
        var thumbprint = ClusterToken.FingerprintOf(certificate.RawData);
        if (node is null)
        {
            throw new OperationException(OperationError.Unauthenticated, $"node {nodeId} is unknown to this leader (its records were reset?); join again with the join token");
        }

        if (node.Revoked)
        {
            throw NodeRefusal.Create(NodeRefusal.Removed, $"node {nodeId} was removed from the cluster; an admin must run `clusterctl node readmit {nodeId}`", nodeId);
        }

        if (!string.Equals(node.CertificateThumbprint, thumbprint, StringComparison.Ordinal))
        {
            throw new OperationException(OperationError.Unauthenticated, $"this certificate of node {nodeId} was replaced by a newer one; use the newest or join again");
        }

        return (node, thumbprint);
    }
}
