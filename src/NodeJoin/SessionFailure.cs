namespace Cluster.NodeJoin;

// A classified reason a session ended; the message is complete for the operator (what failed,
// against which leader, what to do) and never contains a token or a secret.
internal sealed class SessionFailure : Exception
{
    public SessionFailure(SessionFailureKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    public SessionFailure()
        : this(SessionFailureKind.Other, "session failed")
    {
    }

    public SessionFailure(string message)
        : this(SessionFailureKind.Other, message)
    {
    }

    public SessionFailure(string message, Exception innerException)
        : this(SessionFailureKind.Other, message, innerException)
    {
    }

    public SessionFailureKind Kind { get; }
}
