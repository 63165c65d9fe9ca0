namespace Cluster.Leader.Operations;

// The kinds of refusal the leader's operations report; the admin API maps each to a gRPC status
// code (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE,
// RESOURCE_EXHAUSTED).
public enum OperationError
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,

    // Over a size or count limit (an uploaded folder over --max-upload-size).
    ResourceExhausted,
}
