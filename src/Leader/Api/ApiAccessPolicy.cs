using System.Collections.Frozen;
using Cluster.Protos.Agent.V1;
using Cluster.Protos.Build.V1;
using Cluster.Protos.Join.V1;
using Grpc.Health.V1;

namespace Cluster.Leader.Api;

// Who may call which gRPC service, written in ONE place. The key is the full service name from
// the generated descriptor of the service that routing matched (GrpcMethodMetadata), never the
// request path: routing ignores case and tolerates path variants, so a path comparison can be
// walked around. Deny by default: a service that is not listed here needs the admin token, so
// a new service is protected without anyone remembering to protect it.
public static class ApiAccessPolicy
{
    private static readonly FrozenDictionary<string, ApiAccess> Exceptions = new Dictionary<string, ApiAccess>(StringComparer.Ordinal)
    {
        // Load balancers and grpcurl probe these without credentials; they reveal no cluster data.
        [Health.Descriptor.FullName] = ApiAccess.Anonymous,
        [Grpc.Reflection.V1Alpha.ServerReflection.Descriptor.FullName] = ApiAccess.Anonymous,
        [Grpc.Reflection.V1.ServerReflection.Descriptor.FullName] = ApiAccess.Anonymous,
        // Trades the join token (checked by the service itself) for a node certificate.
        [Enrollment.Descriptor.FullName] = ApiAccess.Anonymous,
        // Node-facing: mutual TLS with a node certificate, checked again by the service against
        // the node's current record (role, revocation, newest certificate).
        [Dispatcher.Descriptor.FullName] = ApiAccess.NodeCertificate,
        [BuildDispatcher.Descriptor.FullName] = ApiAccess.NodeCertificate,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // The services that are not admin-token services, for documentation and tests.
    public static IReadOnlyDictionary<string, ApiAccess> NonAdminServices => Exceptions;

    // Largest message a caller without any credential may send (ApiGate enforces it, per
    // message, before gRPC buffers one): a real Join is a CSR of at most AgentLimits.MaxCsrBytes
    // plus ids and a hostname of a few hundred bytes; health and reflection requests are names.
    // gRPC's default, 4 MiB, let anyone who can connect make the leader buffer that much per call.
    public const int AnonymousMaxMessageBytes = 16 * 1024;

    public static ApiAccess For(string serviceFullName) =>
        Exceptions.TryGetValue(serviceFullName, out var access) ? access : ApiAccess.AdminToken;

    // The per-message cap ApiGate puts in front of a service, or null for gRPC's own (each
    // service's MaxReceiveMessageSize). Deny by default: whatever is anonymous is capped, so a
    // service made anonymous later is covered without anyone remembering to cap it.
    public static int? MessageCapOf(string serviceFullName) =>
        For(serviceFullName) == ApiAccess.Anonymous ? AnonymousMaxMessageBytes : null;
}
