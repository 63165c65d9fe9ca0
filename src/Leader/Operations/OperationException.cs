namespace Cluster.Leader.Operations;

// A refused operation. The message is shown to the admin as is: it names what failed, where,
// and what to do, and never contains a secret. Thrown before anything is changed.
public sealed class OperationException : Exception
{
    public OperationException(OperationError error, string message)
        : base(message) => Error = error;

    public OperationException()
        : this(OperationError.FailedPrecondition, "operation refused")
    {
    }

    public OperationException(string message)
        : this(OperationError.FailedPrecondition, message)
    {
    }

    public OperationException(string message, Exception innerException)
        : base(message, innerException) => Error = OperationError.FailedPrecondition;

    public OperationError Error { get; }

    // Facts a program on the other side recognises without reading the message (name -> value,
    // lowercase names such as "cluster-refusal"); the API layer sends each as a response trailer.
    // Never a secret.
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();
}
