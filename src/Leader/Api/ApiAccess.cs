namespace Cluster.Leader.Api;

// What a caller must present to reach a gRPC service of the leader (ApiAccessPolicy decides).
public enum ApiAccess
{
    // The default for every service: "authorization: Bearer <admin token>".
    AdminToken,

    // No credential at this layer; the service needs none (health, reflection) or checks its
    // own (enrollment checks the join token).
    Anonymous,

    // A client certificate on the TLS connection; the service then authenticates the node by
    // that certificate (NodeAuthenticator) before doing anything.
    NodeCertificate,
}
