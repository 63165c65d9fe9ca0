namespace Cluster.Core.Processes;

// How a run ended. ExitCode is meaningful only when TimedOut is false (a killed program has
// none worth reading). Output and Error are UTF-8, each cut to the request's MaxOutputBytes
// (Output keeps its start; Error its start and its end around a marker line, see
// ChildProcessRequest.MaxOutputBytes).
public sealed record ChildProcessResult(int ExitCode, string Output, string Error, bool TimedOut, bool OutputTruncated)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}
