namespace Cluster.Cli;

// A failure to report to the admin as one line on stderr, with a non-zero exit.
internal sealed class CliException : Exception
{
    public CliException(string message)
        : base(message)
    {
    }

    public CliException()
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
