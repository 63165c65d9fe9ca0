using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Security;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Agents;

// cluster.join.v1.Enrollment: trades the join token and a CSR for a node certificate (Join),
// or the current certificate and a CSR for a new one (Renew). The node is named by its
// enrollment id and bound to the swarm node it claims, after checking that the swarm has it;
// removed nodes and second claimants of a swarm node are refused (NodeStore.Enroll).
public sealed partial class EnrollmentApi(
    TokenStore tokens,
    LeaderPki pki,
    NodeStore nodes,
    NodeAuthenticator auth,
    SessionRegistry sessions,
    IBuilderSessions builders,
    SwarmMembership swarm,
    ILogger<EnrollmentApi> log) : Enrollment.EnrollmentBase
{
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(90);

    public override async Task<JoinResponse> Join(JoinRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestHeaders.GetValue("authorization");
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (!tokens.IsValid(ClusterTokenKind.Join, token))
        {
            Log.Refused(log, context.Peer, AgentLimits.Printable(request.Hostname));
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                token is null ? "missing join token" : "join token rejected: it is wrong or was rotated; get the current one from DATA_DIR/join.token on the leader"));
        }

        var role = request.Role switch
        {
            Role.Agent => "agent",
            Role.Builder => "builder",
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "role must be ROLE_AGENT or ROLE_BUILDER")),
        };
        AgentLimits.RequireId("machine_id", request.MachineId);
        AgentLimits.RequireHostname(request.Hostname);
        if (request.SwarmNodeId.Length > 0)
        {
            AgentLimits.RequireId("swarm_node_id", request.SwarmNodeId);
            if (!(await swarm.NodeIdsAsync(context.CancellationToken)).Contains(request.SwarmNodeId))
            {
                Log.RefusedNode(log, request.Hostname, NodeRefusal.SwarmNodeUnknown, request.SwarmNodeId);
                throw NodeRefusal.Create(NodeRefusal.SwarmNodeUnknown,
                    $"swarm node {request.SwarmNodeId} is not a node of the swarm this leader manages; join this engine to the swarm first (docker swarm join)");
            }
        }

        var csr = LoadCsr(request.CsrDer);
        X509Certificate2? issued = null;
        // A node with a live session (agent or builder) keeps its swarm node, however long ago
        // its record was last written: a builder's is written at its hello only.
        var outcome = nodes.Enroll(role, request.MachineId, request.Hostname, request.SwarmNodeId, id => sessions.IsLive(id) || builders.Live(id) is not null, sessions.DownAfter, nodeId =>
        {
            issued = pki.IssueClient(csr, nodeId, CertificateLifetime);
            return (ClusterToken.FingerprintOf(issued.RawData), issued.NotAfter.ToUniversalTime());
        });
        if (outcome.Node is not { } node)
        {
            Log.RefusedNode(log, request.Hostname, outcome.Refusal!, outcome.Detail);
            throw outcome.ToException();
        }

        // A re-join replaces the node's certificate: a session still holding the old one ends.
        sessions.Find(node.Id)?.Close();
        builders.Close(node.Id);
        using (issued)
        {
            Log.Joined(log, node.Id, role, request.Hostname, request.SwarmNodeId);
            return Response(node.Id, issued!);
        }
    }

    public override Task<JoinResponse> Renew(RenewRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (node, thumbprint) = auth.AuthenticateAnyRole(context.GetHttpContext().Connection.ClientCertificate);
        var csr = LoadCsr(request.CsrDer);
        X509Certificate2? issued = null;
        var renewed = nodes.Renew(node.Id, thumbprint, nodeId =>
        {
            issued = pki.IssueClient(csr, nodeId, CertificateLifetime);
            return (ClusterToken.FingerprintOf(issued.RawData), issued.NotAfter.ToUniversalTime());
        }) ?? throw new RpcException(new Status(StatusCode.Unauthenticated, $"node {node.Id}'s certificate changed while renewing; renew again with the newest one"));
        using (issued)
        {
            Log.Renewed(log, renewed.Id, issued!.NotAfter.ToUniversalTime());
            return Task.FromResult(Response(renewed.Id, issued));
        }
    }

    private JoinResponse Response(string nodeId, X509Certificate2 issued) => new()
    {
        NodeId = nodeId,
        CertificateDer = ByteString.CopyFrom(issued.RawData),
        CaCertificateDer = ByteString.CopyFrom(pki.Ca.RawData),
        NotAfter = Timestamp.FromDateTime(issued.NotAfter.ToUniversalTime()),
    };

    private static CertificateRequest LoadCsr(ByteString der)
    {
        if (der.Length > AgentLimits.MaxCsrBytes)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"certificate signing request larger than {AgentLimits.MaxCsrBytes} bytes"));
        }

        try
        {
            // Extensions are loaded only so LeaderPki can refuse a CSR that asks for more than a
            // client certificate; none is ever copied into the issued certificate.
            return CertificateRequest.LoadSigningRequest(der.ToByteArray(), HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed certificate signing request: {e.Message}"));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(500, LogLevel.Warning, "join refused from {Peer} ({Hostname}): no valid join token")]
        public static partial void Refused(ILogger logger, string peer, string hostname);

        [LoggerMessage(501, LogLevel.Information, "node {NodeId} joined as {Role} ({Hostname}, swarm node {SwarmNodeId})")]
        public static partial void Joined(ILogger logger, string nodeId, string role, string hostname, string swarmNodeId);

        [LoggerMessage(502, LogLevel.Warning, "join refused for {Hostname} ({Refusal}): {Detail}")]
        public static partial void RefusedNode(ILogger logger, string hostname, string refusal, string detail);

        [LoggerMessage(503, LogLevel.Information, "node {NodeId} renewed its certificate; valid until {NotAfter:u}")]
        public static partial void Renewed(ILogger logger, string nodeId, DateTime notAfter);
    }
}
