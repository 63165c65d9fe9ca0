using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Security;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Agents;

// cluster.join.v1.Enrollment: trades the join token and a CSR for a node certificate.
public sealed partial class EnrollmentApi(TokenStore tokens, LeaderPki pki, NodeStore nodes, ILogger<EnrollmentApi> log) : Enrollment.EnrollmentBase
{
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(90);

    public override Task<JoinResponse> Join(JoinRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (!tokens.IsValid(ClusterTokenKind.Join, token))
        {
            Log.Refused(log, context.Peer, request.Hostname);
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                token is null ? "missing join token" : "join token rejected: it is wrong or was rotated; get the current one from DATA_DIR/join.token on the leader"));
        }

        var role = request.Role switch
        {
            Role.Agent => "agent",
            Role.Builder => "builder",
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "role must be ROLE_AGENT or ROLE_BUILDER")),
        };
        if (string.IsNullOrWhiteSpace(request.MachineId) || string.IsNullOrWhiteSpace(request.Hostname))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "machine_id and hostname are required (read them from the local engine)"));
        }

        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequest(request.CsrDer.ToByteArray(), HashAlgorithmName.SHA256);
        }
        catch (CryptographicException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed certificate signing request: {e.Message}"));
        }

        X509Certificate2? issued = null;
        var node = nodes.Enroll(role, request.MachineId, request.Hostname, nodeId =>
        {
            issued = pki.IssueClient(csr, nodeId, CertificateLifetime);
            return (ClusterToken.FingerprintOf(issued.RawData), issued.NotAfter.ToUniversalTime());
        });
        using (issued)
        {
            Log.Joined(log, node.Id, role, request.Hostname);
            return Task.FromResult(new JoinResponse
            {
                NodeId = node.Id,
                CertificateDer = ByteString.CopyFrom(issued!.RawData),
                CaCertificateDer = ByteString.CopyFrom(pki.Ca.RawData),
                NotAfter = Timestamp.FromDateTime(issued.NotAfter.ToUniversalTime()),
            });
        }
    }

    private static partial class Log
    {
        [LoggerMessage(500, LogLevel.Warning, "join refused from {Peer} ({Hostname}): no valid join token")]
        public static partial void Refused(ILogger logger, string peer, string hostname);

        [LoggerMessage(501, LogLevel.Information, "node {NodeId} joined as {Role} ({Hostname})")]
        public static partial void Joined(ILogger logger, string nodeId, string role, string hostname);
    }
}
