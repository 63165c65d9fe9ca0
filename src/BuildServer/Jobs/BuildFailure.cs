namespace Cluster.BuildServer.Jobs;

// A build that stopped, with what the user needs to fix it: the stage ("fetch", "context",
// "build", "push", "cancelled", "timeout"), for a failing Dockerfile step the step line and its
// last lines, and a message that never holds a secret.
internal sealed class BuildFailure : Exception
{
    public BuildFailure(string stage, string message, string step = "", IReadOnlyList<string>? lastLines = null, Exception? inner = null)
        : base(message, inner)
    {
        Stage = stage;
        Step = step;
        LastLines = lastLines ?? [];
    }

    public BuildFailure()
        : this("build", "the build failed")
    {
    }

    public BuildFailure(string message)
        : this("build", message)
    {
    }

    public BuildFailure(string message, Exception innerException)
        : this("build", message, inner: innerException)
    {
    }

    public string Stage { get; }

    public string Step { get; }

    public IReadOnlyList<string> LastLines { get; }
}
