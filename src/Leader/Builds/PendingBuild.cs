using Cluster.Protos.Build.V1;

namespace Cluster.Leader.Builds;

// A job sent to a builder: its log lines go to OnLog as they arrive; it completes exactly once,
// with the builder's result or with a failure the leader makes up when the builder is gone.
// A builder's lines are bounded like everything a node sends (issue #9): at most MaxLogLines
// per job (then one line saying the rest was cut; the result's last lines still come), each cut
// to MaxLineChars with control characters (terminal escapes, forged newlines) blanked, so the
// deployment record stays one bounded document and nothing reaches an admin's terminal raw.
public sealed class PendingBuild(BuildJob job, Action<string> onLog)
{
    // A build log's bounds: lines kept per job, characters per line.
    public const int MaxLogLines = 5000;

    public const int MaxLineChars = Agents.AgentLimits.MaxTextChars;

    private readonly TaskCompletionSource<BuildResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BuildJob Job { get; } = job;

    // The uploaded folder's tar in the leader's data dir, for BuildDispatcher/FetchContext;
    // null for git jobs.
    public string? ContextFile { get; init; }

    public Task<BuildResult> Result => _result.Task;

    private int _lines;

    public void Log(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var n = Interlocked.Increment(ref _lines);
        if (n <= MaxLogLines)
        {
            onLog(Agents.AgentLimits.Printable(line));
        }
        else if (n == MaxLogLines + 1)
        {
            onLog($"(build log cut after {MaxLogLines} lines; the build goes on, and its last lines are shown if it fails)");
        }
    }

    public bool Complete(BuildResult result) => _result.TrySetResult(result);

    public bool Fail(string stage, string error) =>
        _result.TrySetResult(new BuildResult { JobId = Job.JobId, Ok = false, FailedStage = stage, Error = error });
}
