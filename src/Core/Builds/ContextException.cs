namespace Cluster.Core.Builds;

// A build context that cannot be packed or must not be built: the message says what is wrong
// and where (a path inside the context), complete for the user and free of anything secret.
// TooLarge: the context passed the size cap (the caller adds what the cap is and how to raise it).
public sealed class ContextException : Exception
{
    public ContextException(string message, bool tooLarge)
        : base(message) => TooLarge = tooLarge;

    public ContextException()
        : this("the build context was refused", false)
    {
    }

    public ContextException(string message)
        : this(message, false)
    {
    }

    public ContextException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool TooLarge { get; }
}
