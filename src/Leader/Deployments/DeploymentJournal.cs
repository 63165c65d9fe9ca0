using System.Threading.Channels;
using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Deployments;

// The record of one deployment while it runs: its steps, per-node results, log and status,
// saved to the database at each milestone (so a leader restart finds how far it got) and
// streamed as DeployEvents to whoever watches. The stream is unbounded and never blocks the
// deployment: a caller that stops reading does not stop it. Safe to use from the pre-pull's
// parallel parts; the record is changed and saved under one lock, so a save never sees it half
// changed.
// A save the database refuses (disk full, a failing disk) never stops the deployment: the
// journal is its record, not its driver, and an exception thrown from a log line in the middle
// of a rollout would skip the confirm that puts the service back. The record stays complete in
// memory, each later save writes all of it again, and SaveFailure says whether the last one
// failed (the orchestrator retries the final save; `saveFailed` hears of the first failure of
// each run of them).
public sealed class DeploymentJournal
{
    private readonly Lock _sync = new();
    private readonly DeploymentRecord _record;
    private readonly LeaderDatabase _db;
    private readonly TimeProvider _time;
    private readonly Action<string, Exception>? _saveFailed;
    private readonly Channel<DeployEvent> _events = Channel.CreateUnbounded<DeployEvent>(new UnboundedChannelOptions { SingleReader = true });
    private Exception? _saveFailure;

    public DeploymentJournal(DeploymentRecord record, LeaderDatabase db, TimeProvider time, Action<string, Exception>? saveFailed = null)
    {
        _record = record;
        _db = db;
        _time = time;
        _saveFailed = saveFailed;
    }

    public string Id => _record.Id;

    // Why the last save failed; null when it succeeded.
    public Exception? SaveFailure
    {
        get
        {
            lock (_sync)
            {
                return _saveFailure;
            }
        }
    }

    public ChannelReader<DeployEvent> Events => _events.Reader;

    public DeploymentStatus Status
    {
        get
        {
            lock (_sync)
            {
                return _record.Status;
            }
        }
    }

    // One human-readable line, time-stamped, saved at once: `deployment show/list` read the
    // database, and a step can run for minutes (a pre-pull waiting for a cut-off node), so the
    // record must say what is happening now, not what happened when the last step began.
    public void Say(string line)
    {
        var stamped = $"{_time.GetUtcNow():HH:mm:ss} {line}";
        lock (_sync)
        {
            _record.Log.Add(stamped);
            SaveLocked();
        }

        _events.Writer.TryWrite(new DeployEvent { Log = stamped });
    }

    // Builds: where the source comes from ("git URL@REF"), saved at once.
    // `sha256` and `bytes`: the uploaded folder's tar, when the source is one.
    public void SetSource(string source, string sha256 = "", long bytes = 0)
    {
        lock (_sync)
        {
            _record.Source = source;
            _record.SourceSha256 = sha256;
            _record.SourceBytes = bytes;
        }

        Save();
    }

    // Builds: one line of the builder's output, kept in the build log and streamed live.
    public void BuildLine(string line)
    {
        lock (_sync)
        {
            _record.BuildLog.Add(line);
        }

        _events.Writer.TryWrite(new DeployEvent { Log = line });
    }

    // Builds: what the build produced (or, on failure, the commit it got to).
    public void SetBuild(string commit, string image, string digest, string builder, bool local)
    {
        lock (_sync)
        {
            _record.Commit = commit;
            _record.BuildImage = image;
            _record.BuildDigest = digest;
            _record.Builder = builder;
            _record.BuildLocal = local;
        }

        Save();
    }

    public void SetDigest(string digest)
    {
        lock (_sync)
        {
            _record.Digest = digest;
        }

        Save();
    }

    public void StepStarted(string name) => SetStep(name, StepStatus.Running, "");

    public void StepFinished(string name, StepStatus status, string error) => SetStep(name, status, error);

    // One node's part in a step ("pre-pull", "run") changed.
    public void Node(string node, string step, StepStatus status, string error = "")
    {
        lock (_sync)
        {
            var existing = _record.Nodes.FirstOrDefault(n => n.Node == node && n.Step == step);
            if (existing is null)
            {
                existing = new NodeStepRecord { Node = node, Step = step };
                _record.Nodes.Add(existing);
            }

            existing.Status = status;
            existing.Error = error;
            SaveLocked();
        }

        _events.Writer.TryWrite(new DeployEvent { Node = DeploymentProto.ToProto(new NodeStepRecord { Node = node, Step = step, Status = status, Error = error }) });
    }

    // Progress of a node's pull, for display only (not saved).
    public void NodeProgress(string node, string step, long bytesDone, long bytesTotal)
    {
        var proto = DeploymentProto.ToProto(new NodeStepRecord { Node = node, Step = step, Status = StepStatus.Running });
        proto.BytesDone = bytesDone;
        proto.BytesTotal = bytesTotal;
        _events.Writer.TryWrite(new DeployEvent { Node = proto });
    }

    // The deployment's outcome; the message becomes its error (failed, rolled back) and a log line.
    public void Finish(DeploymentStatus status, string message)
    {
        lock (_sync)
        {
            _record.Status = status;
            if (status != DeploymentStatus.Succeeded)
            {
                _record.Error = message;
            }
        }

        Say(message);
    }

    // Ends the record (finish time, saved) and the event stream, whose last event is the record.
    // The stream ends even when the save fails (SaveFailure): a caller waiting for the outcome
    // gets it from memory.
    public DeploymentRecord Close()
    {
        Protos.Admin.V1.Deployment final;
        lock (_sync)
        {
            _record.FinishedAt = _time.GetUtcNow().UtcDateTime;
            SaveLocked();
            final = DeploymentProto.ToProto(_record);
        }

        _events.Writer.TryWrite(new DeployEvent { Finished = final });
        _events.Writer.TryComplete();
        return _record;
    }

    public void Save()
    {
        lock (_sync)
        {
            SaveLocked();
        }
    }

    // The first save, before the deployment does anything: unlike the others it throws what the
    // database threw, so a deployment that cannot be recorded at all is refused, not run.
    public void Create()
    {
        lock (_sync)
        {
            _db.Write(d => d.Deployments.Upsert(_record));
        }
    }

    private void SetStep(string name, StepStatus status, string error)
    {
        lock (_sync)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            var step = _record.Steps.LastOrDefault(s => s.Name == name);
            if (step is null)
            {
                step = new StepRecord { Name = name };
                _record.Steps.Add(step);
            }

            step.Status = status;
            step.Error = error;
            if (status == StepStatus.Running)
            {
                step.StartedAt = now;
            }
            else
            {
                step.FinishedAt = now;
            }

            SaveLocked();
        }
    }

    private void SaveLocked()
    {
        try
        {
            _db.Write(d => d.Deployments.Upsert(_record));
            _saveFailure = null;
        }
        catch (Exception e)
        {
            if (_saveFailure is null)
            {
                _saveFailed?.Invoke(_record.Id, e);
            }

            _saveFailure = e;
        }
    }
}
