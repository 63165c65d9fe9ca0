namespace Cluster.Core.Processes;

// How a run ended. ExitCode is meaningful only when TimedOut is false (a killed program has
// none worth reading). Output and Error are UTF-8, each cut at the request's MaxOutputBytes.
public sealed record ChildProcessResult(int ExitCode, string Output, string Error, bool TimedOut, bool OutputTruncated)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}
