namespace Cluster.Leader.Operations;

// The kinds of refusal the leader's operations report; the admin API maps each to a gRPC status
// code (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE).
public enum OperationError
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,
}
