namespace Cluster.Core.Registry;

// Why talking to a registry failed, in the terms a user acts on. Every path that reaches a
// registry (the leader's own client, a node's engine, a build server's push) reports one of
// these, so messages and decisions never depend on where the failure happened to surface.
public enum RegistryFailureKind
{
    Other = 0,
    // Credentials rejected: wrong password, revoked or expired token, or none given.
    Unauthorized,
    // Authenticated but not allowed: missing scope (pull-only token used to push).
    Forbidden,
    // Repository, tag or digest does not exist.
    NotFound,
    // DNS failure, connection refused, timeout.
    Unreachable,
    // Certificate untrusted, or TLS spoken to a plain HTTP registry and vice versa.
    Tls,
    // HTTP 429 / "toomanyrequests".
    RateLimited,
    // The node's disk is full.
    NoSpace,
    // The local Docker engine itself failed or did not answer.
    Engine,
}
