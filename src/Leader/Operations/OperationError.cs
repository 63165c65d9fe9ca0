namespace Cluster.Leader.Operations;

// The kinds of refusal the leader's operations report; the API layer (AdminAuthInterceptor, for
// every service the leader serves) maps each to a gRPC status code (INVALID_ARGUMENT, NOT_FOUND,
// ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED,
// UNAUTHENTICATED, PERMISSION_DENIED).
public enum OperationError
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,

    // Over a size or count limit (an uploaded folder over --max-upload-size).
    ResourceExhausted,

    // Ended partway by the leader, to be run again: an upload whose client went quiet for
    // longer than the leader waits. (Not DEADLINE_EXCEEDED: clients read that as their own
    // deadline and would hide the reason.)
    Aborted,

    // The caller is not known to be who it claims: a node without a certificate of this leader,
    // or with one that was replaced or belongs to no node on record.
    Unauthenticated,

    // The caller is known and may not do this: a removed node, a node of the other role, a
    // second claimant of a swarm node.
    PermissionDenied,
}
