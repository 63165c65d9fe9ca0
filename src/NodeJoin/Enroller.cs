using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Docker;
using Cluster.Core.Security;
using Cluster.Protos.Join.V1;
using Grpc.Core;

namespace Cluster.NodeJoin;

// Enrollment.Join and Enrollment.Renew. A new P-256 key is made for every certificate and never
// leaves the node. Join is the only call that carries the join token; it names this node by its
// enrollment id (created once, kept in the state dir) and its engine's swarm node id, never by
// the engine ID that cloned VM images share. Renew authenticates with the current certificate.
internal sealed class Enroller(INodeJoinOptions options, IdentityStore store, TimeProvider time)
{
    public async Task<NodeIdentity> JoinAsync(ClusterToken token, EngineInfo engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(engine);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new JoinRequest
        {
            Role = options.Role,
            CsrDer = Google.Protobuf.ByteString.CopyFrom(Csr(key, engine.Hostname)),
            MachineId = store.EnrollmentId(),
            Hostname = engine.Hostname,
            SwarmNodeId = engine.SwarmNodeId ?? "",
        };

        JoinResponse response;
        using (var channel = LeaderChannel.Open(options, token.CaFingerprint))
        {
            try
            {
                response = await new Enrollment.EnrollmentClient(channel.Channel).JoinAsync(
                    request,
                    new CallOptions(
                        headers: new Metadata { { "authorization", "Bearer " + token.Format() } },
                        deadline: time.GetUtcNow().UtcDateTime + options.CallTimeout,
                        cancellationToken: cancellationToken));
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Translate(channel, e, joining: true);
            }
        }

        return Accept(response, key, token.CaFingerprint);
    }

    // A new certificate for a new key, authenticated by the current certificate (mutual TLS);
    // the CA pinned is the one stored with the identity, checked against the join token when
    // the node joined.
    public async Task<NodeIdentity> RenewAsync(NodeIdentity current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caFingerprint = ClusterToken.FingerprintOf(current.Ca.RawData);
        var request = new RenewRequest { CsrDer = Google.Protobuf.ByteString.CopyFrom(Csr(key, current.NodeId)) };
        JoinResponse response;
        using (var channel = LeaderChannel.Open(options, caFingerprint, current.Certificate))
        {
            try
            {
                response = await new Enrollment.EnrollmentClient(channel.Channel).RenewAsync(
                    request,
                    new CallOptions(deadline: time.GetUtcNow().UtcDateTime + options.CallTimeout, cancellationToken: cancellationToken));
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Translate(channel, e, joining: false);
            }
        }

        if (!string.Equals(response.NodeId.Trim(), current.NodeId, StringComparison.Ordinal))
        {
            throw new SessionFailure(SessionFailureKind.Protocol,
                $"the leader at {options.Leader} renewed node {current.NodeId} under another node id ({response.NodeId}); keeping the current certificate");
        }

        return Accept(response, key, caFingerprint);
    }

    // The leader's answer is checked before it is stored: the CA it returns must be the pinned
    // one, and the certificate must carry our public key and chain to that CA.
    private NodeIdentity Accept(JoinResponse response, ECDsa key, string caFingerprint)
    {
        var caDer = response.CaCertificateDer.ToByteArray();
        if (caDer.Length == 0 || ClusterToken.FingerprintOf(caDer) != caFingerprint)
        {
            throw new SessionFailure(SessionFailureKind.Protocol,
                $"the leader at {options.Leader} returned a CA certificate other than the pinned one; not storing the identity");
        }

        if (string.IsNullOrWhiteSpace(response.NodeId))
        {
            throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} returned no node id");
        }

        var certificateDer = response.CertificateDer.ToByteArray();
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
            using var ca = X509CertificateLoader.LoadCertificate(caDer);
            using var issuedKey = certificate.GetECDsaPublicKey();
            if (issuedKey is null ||
                !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} returned a certificate for another key");
            }

            if (!IdentityRules.IsIssuedBy(certificate, ca))
            {
                throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} returned a certificate not issued by its CA");
            }
        }
        catch (CryptographicException e)
        {
            throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} returned an unreadable certificate: {e.Message}", e);
        }

        return store.Save(response.NodeId.Trim(), key, certificateDer, caDer);
    }

    private SessionFailure Translate(LeaderChannel channel, RpcException e, bool joining)
    {
        if (channel.Classify(e) is { } common)
        {
            return common;
        }

        if (RefusalFailure.From(e, options.Leader) is { } refused)
        {
            return refused;
        }

        return e.StatusCode switch
        {
            StatusCode.Unauthenticated when joining => new(SessionFailureKind.JoinTokenRejected,
                $"join token rejected by the leader at {options.Leader}; get the current one from DATA_DIR/join.token on the leader", e),
            StatusCode.Unauthenticated => new(SessionFailureKind.IdentityRejected,
                $"the leader at {options.Leader} refused this node's certificate for renewal ({e.Status.Detail})", e),
            StatusCode.PermissionDenied => new(SessionFailureKind.JoinRefused,
                $"the leader at {options.Leader} refused to enroll this node ({e.Status.Detail})", e),
            StatusCode.InvalidArgument => new(SessionFailureKind.JoinRefused,
                $"the leader at {options.Leader} refused the request as invalid ({e.Status.Detail})", e),
            _ => new(SessionFailureKind.Other, $"{(joining ? "join" : "certificate renewal")} at the leader {options.Leader} failed: {e.StatusCode}: {e.Status.Detail}", e),
        };
    }

    // The subject is informative only (the leader names the certificate after the node id).
    private static byte[] Csr(ECDsa key, string name)
    {
        var clean = new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_').Take(64).ToArray());
        return new CertificateRequest(new X500DistinguishedName($"CN={(clean.Length == 0 ? "cluster-node" : clean)}"), key, HashAlgorithmName.SHA256)
            .CreateSigningRequest();
    }
}
