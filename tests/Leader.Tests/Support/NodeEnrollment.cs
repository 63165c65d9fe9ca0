using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Leader.Tests.Support;

// Joins a real leader the way cluster-agent does (join token, CSR, Enrollment/Join over pinned
// TLS) and returns the REAL node certificate, with its key, and the CA it came with.
public static class NodeEnrollment
{
    // swarmNodeId: the swarm node the joiner's engine claims to be ("" = in no swarm yet).
    public static async Task<(X509Certificate2 Node, X509Certificate2 Ca)> JoinAsync(ITestLeader leader, string hostname, Action<CertificateRequest>? shapeCsr = null, Role role = Role.Agent, string swarmNodeId = "")
    {
        ArgumentNullException.ThrowIfNull(leader);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=node", key, HashAlgorithmName.SHA256);
        shapeCsr?.Invoke(csr);
        using var channel = Channel(leader);
        var response = await new Enrollment.EnrollmentClient(channel).JoinAsync(
            new JoinRequest { Role = role, MachineId = Guid.NewGuid().ToString("N"), Hostname = hostname, SwarmNodeId = swarmNodeId, CsrDer = ByteString.CopyFrom(csr.CreateSigningRequest()) },
            new Metadata { { "authorization", "Bearer " + leader.JoinToken } }, DateTime.UtcNow.AddSeconds(30));
        using var issued = X509CertificateLoader.LoadCertificate(response.CertificateDer.ToByteArray());
        return (issued.CopyWithPrivateKey(key), X509CertificateLoader.LoadCertificate(response.CaCertificateDer.ToByteArray()));
    }

    // The leader's own server certificate, as a client receives it.
    public static async Task<X509Certificate2> ServerCertificateAsync(ITestLeader leader)
    {
        ArgumentNullException.ThrowIfNull(leader);
        X509Certificate2? seen = null;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, leader.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                seen = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                return PinnedCa.Validator(leader.CaFingerprint)(seen, chain, errors);
            },
        });
        return seen!;
    }

    // A channel to the leader that presents `node` (mutual TLS), as cluster-agent and
    // cluster-builder connect; null presents no certificate.
    public static GrpcChannel Channel(ITestLeader leader, X509Certificate2? node = null)
    {
        ArgumentNullException.ThrowIfNull(leader);
        var validate = PinnedCa.Validator(leader.CaFingerprint);
        var handler = new SocketsHttpHandler();
        if (node is not null)
        {
            handler.SslOptions.ClientCertificates = [node];
        }

        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is X509Certificate2 leaf && validate(leaf, chain, errors);
        return GrpcChannel.ForAddress($"https://{leader.Address}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }
}
