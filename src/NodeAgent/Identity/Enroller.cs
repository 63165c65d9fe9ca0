using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Docker;
using Cluster.Core.Security;
using Cluster.NodeAgent.Connection;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.Session;
using Cluster.Protos.Join.V1;
using Grpc.Core;

namespace Cluster.NodeAgent.Identity;

// Enrollment.Join: trades the join token and a CSR for this node's client certificate. A new
// P-256 key is made for every join and never leaves the node. The only call that carries the
// join token; everything after it authenticates with the certificate.
internal sealed class Enroller(AgentOptions options, IdentityStore store, TimeProvider time)
{
    public async Task<NodeIdentity> JoinAsync(ClusterToken token, EngineInfo engine, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(engine);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest(new X500DistinguishedName($"CN={Sanitize(engine.Hostname)}"), key, HashAlgorithmName.SHA256)
            .CreateSigningRequest();
        var request = new JoinRequest
        {
            Role = Role.Agent,
            CsrDer = Google.Protobuf.ByteString.CopyFrom(csr),
            MachineId = engine.EngineId,
            Hostname = engine.Hostname,
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
                throw Translate(channel, e);
            }
        }

        return Accept(response, key, token.CaFingerprint);
    }

    // The leader's answer is checked before it is stored: the CA it returns must be the pinned
    // one, and the certificate must carry our public key and chain to that CA.
    private NodeIdentity Accept(JoinResponse response, ECDsa key, string caFingerprint)
    {
        var caDer = response.CaCertificateDer.ToByteArray();
        if (caDer.Length == 0 || ClusterToken.FingerprintOf(caDer) != caFingerprint)
        {
            throw new SessionFailure(SessionFailureKind.Protocol,
                $"the leader at {options.Leader} returned a CA certificate other than the one the join token pins; not storing the identity");
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

    private SessionFailure Translate(LeaderChannel channel, RpcException e)
    {
        if (channel.Classify(e) is { } common)
        {
            return common;
        }

        return e.StatusCode switch
        {
            StatusCode.Unauthenticated => new(SessionFailureKind.JoinTokenRejected,
                $"join token rejected by the leader at {options.Leader}; get the current one from DATA_DIR/join.token on the leader", e),
            StatusCode.PermissionDenied => new(SessionFailureKind.JoinRefused,
                $"the leader at {options.Leader} refused to enroll this node ({e.Status.Detail}); it may have been removed from the cluster: ask the admin to allow it again", e),
            StatusCode.InvalidArgument => new(SessionFailureKind.JoinRefused,
                $"the leader at {options.Leader} refused the join request as invalid ({e.Status.Detail})", e),
            _ => new(SessionFailureKind.Other, $"join at the leader {options.Leader} failed: {e.StatusCode}: {e.Status.Detail}", e),
        };
    }

    // The subject is informative only (the leader names the certificate after the node id).
    private static string Sanitize(string hostname)
    {
        var clean = new string(hostname.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_').ToArray());
        return clean.Length == 0 ? "cluster-agent" : clean;
    }
}
