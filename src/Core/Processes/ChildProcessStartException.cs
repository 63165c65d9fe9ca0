namespace Cluster.Core.Processes;

// The program could not be started (not found, not executable). The message names the program
// only, never its arguments or environment; callers turn it into their own advice (what to install).
public sealed class ChildProcessStartException : Exception
{
    public ChildProcessStartException()
    {
    }

    public ChildProcessStartException(string message)
        : base(message)
    {
    }

    public ChildProcessStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string FileName { get; init; } = "";
}
