namespace Cluster.Core.Processes;

// One run of a program: what to start, with what, and its bounds. Secrets go in Environment or
// StandardInput, never in Arguments (argv is readable by every user in /proc/PID/cmdline).
public sealed record ChildProcessRequest
{
    // Looked up on PATH when not rooted, as execvp does; never run through a shell.
    public required string FileName { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    // Set on top of the leader's own environment, or on an empty one with InheritEnvironment off.
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    // Names removed from the inherited environment (e.g. DISPLAY, SSH_AUTH_SOCK).
    public IReadOnlyList<string> RemoveEnvironment { get; init; } = [];

    public bool InheritEnvironment { get; init; } = true;

    public string? WorkingDirectory { get; init; }

    // Written to the program's stdin, which is then closed; null closes it at once. A program
    // that exits without reading it is not an error (its exit code says what happened).
    public string? StandardInput { get; init; }

    // Past it the program and every process it started are killed (ChildProcessResult.TimedOut).
    public required TimeSpan Timeout { get; init; }

    // Per stream (stdout, stderr), in bytes; the rest is read and dropped so the program never
    // blocks on a full pipe (ChildProcessResult.OutputTruncated). Stdout keeps its first bytes;
    // stderr its first quarter and its last three quarters, whole lines (without line ends,
    // whole words: never a piece of a secret a caller redacts afterwards) around a marker line
    // "[... N bytes of this output left out ...]", because errors come last.
    public int MaxOutputBytes { get; init; } = 1024 * 1024;
}
