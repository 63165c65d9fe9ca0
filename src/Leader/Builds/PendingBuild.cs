using Cluster.Protos.Build.V1;

namespace Cluster.Leader.Builds;

// A job sent to a builder: its log lines go to OnLog as they arrive; it completes exactly once,
// with the builder's result or with a failure the leader makes up when the builder is gone.
public sealed class PendingBuild(BuildJob job, Action<string> onLog)
{
    private readonly TaskCompletionSource<BuildResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BuildJob Job { get; } = job;

    // The uploaded folder's tar in the leader's data dir, for BuildDispatcher/FetchContext;
    // null for git jobs.
    public string? ContextFile { get; init; }

    public Task<BuildResult> Result => _result.Task;

    public void Log(string line) => onLog(line);

    public bool Complete(BuildResult result) => _result.TrySetResult(result);

    public bool Fail(string stage, string error) =>
        _result.TrySetResult(new BuildResult { JobId = Job.JobId, Ok = false, FailedStage = stage, Error = error });
}
