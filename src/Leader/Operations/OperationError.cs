namespace Cluster.Leader.Operations;

// The kinds of refusal the leader's operations report; the admin API maps each to a gRPC status
// code (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, UNAVAILABLE,
// RESOURCE_EXHAUSTED, ABORTED).
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
}
