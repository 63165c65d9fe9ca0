using System.Collections.Concurrent;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Leader.Agents;
using Cluster.Leader.Apps;
using Cluster.Leader.Builds;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;
using LiteDB;

namespace Cluster.Leader.Deployments;

// Starts deployments, one at a time per app, and runs their steps in order. The steps are the
// IDeploymentStep types of this folder (StepOrder lists them): resolve the tag to a digest,
// place (which nodes, which platforms), pre-pull on those nodes, roll out the pinned service,
// confirm or put it back. Each step is recorded in the DeploymentJournal as it runs, so a leader
// restart can tell how far a deployment got (RecoverInterruptedAsync).
//
// Adding a step: write a sealed class implementing IDeploymentStep in this folder, give it an
// Order from StepOrder (add a constant between two others), let AppliesTo say when it has work,
// read what earlier steps put in the DeploymentContext and add what it produces there (a build
// step sets context.Image and context.Digest; resolve then trusts that digest), and register it
// in DeploymentServices.AddDeployments. Return StepOutcome.Next to go on, Done to finish
// successfully, Failed or RolledBack to stop; the pipeline records the step and the outcome.
public sealed partial class DeploymentOrchestrator : IRunningDeployments
{
    private static readonly TimeSpan MaxSaveRetry = TimeSpan.FromMinutes(1);

    // How long a leader start waits for the engine to say where interrupted deployments left
    // their services, all of them together (the start's engine probe waits 5 s as well).
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly LeaderDatabase _db;
    private readonly AppService _apps;
    private readonly SessionRegistry _sessions;
    private readonly DockerEngine _engine;
    private readonly IReadOnlyList<IDeploymentStep> _steps;
    private readonly TimeProvider _time;
    private readonly ILogger<DeploymentOrchestrator> _log;

    public DeploymentOrchestrator(
        LeaderDatabase db,
        AppService apps,
        SessionRegistry sessions,
        DockerEngine engine,
        IEnumerable<IDeploymentStep> steps,
        TimeProvider time,
        ILogger<DeploymentOrchestrator> log)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _db = db;
        _apps = apps;
        _sessions = sessions;
        _engine = engine;
        _steps = [.. steps.OrderBy(s => s.Order)];
        _time = time;
        _log = log;
    }

    // The steps in the order they run.
    public IReadOnlyList<IDeploymentStep> Steps => _steps;

    // Raised once a deployment has ended and its app is free again (outcome saved), with the app
    // as it was when the deployment started. Handlers run on the deployment's task and must not
    // block; an exception in one is logged and does not reach the deployment.
    public event Action<AppRecord>? Ended;

    // Ids of the apps with a deployment running now.
    public IReadOnlyCollection<string> RunningAppIds => [.. _running.Keys];

    // Whether a deployment of the app runs now. Its record says `running` as well while it does;
    // the record alone is not proof (see Start: an outcome the database refused to save).
    public bool IsRunning(string appId) => _running.ContainsKey(appId);

    // The images running deployments work with (the one being deployed, pinned once its digest
    // is known, and the one the app ran before), so housekeeping never removes them mid-way.
    public IReadOnlyList<string> InFlightImages =>
        [.. _running.Values.SelectMany(r => new[] { r.Context.Digest is { } d ? $"{r.Context.Image.Name}:{r.Context.Tag}@{d}" : r.Context.Image.Canonical, r.Context.App.PinnedImage }).Where(i => i.Length > 0)];

    // Starts a deployment and returns its id and its event stream; the deployment goes on even if
    // nobody reads the stream (the caller disconnecting does not stop it). Refused, naming the
    // running one, while another deployment of the same app runs.
    public StartedDeployment Start(DeploymentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var app = _apps.Get(request.App);
        if (app.PinnedDigest.Length > 0 && !string.IsNullOrWhiteSpace(request.Tag))
        {
            throw new OperationException(OperationError.FailedPrecondition, $"app '{app.Name}' is pinned to {app.PinnedDigest}; to deploy tag '{request.Tag.Trim()}' instead, follow it with `clusterctl app set {app.Name} --tag {request.Tag.Trim()}` and deploy again");
        }

        CheckSource(app, request);
        var tag = string.IsNullOrWhiteSpace(request.Tag) ? app.Tag : request.Tag.Trim();
        if (!ImageReference.IsValidTag(tag))
        {
            throw new OperationException(OperationError.InvalidArgument, AppService.InvalidTag(tag));
        }

        var id = "d" + Guid.NewGuid().ToString("N")[..15];
        // A pinned app deploys exactly its digest (resolve checks the registry serves it).
        var image = ImageReference.Parse(app.PinnedDigest.Length > 0 ? $"{app.Image}:{tag}@{app.PinnedDigest}" : $"{app.Image}:{tag}");
        var record = new DeploymentRecord
        {
            Id = id,
            AppId = app.Id,
            App = app.Name,
            Image = image.Canonical,
            PreviousDigest = app.Digest,
            Trigger = request.Trigger,
            RequestedBy = request.Actor,
            StartedAt = _time.GetUtcNow().UtcDateTime,
        };
        var journal = new DeploymentJournal(record, _db, _time, (deployment, e) => Log.NotSaved(_log, deployment, e.GetType().Name, e.Message));
        var context = new DeploymentContext(request, app, image, journal);
        var running = new Running(id, context);
        if (!_running.TryAdd(app.Id, running))
        {
            _running.TryGetValue(app.Id, out var other);
            running.Dispose();
            throw new OperationException(OperationError.FailedPrecondition, $"deployment {other?.Id} of app '{app.Name}' is still running; wait for it (`clusterctl deployment show {other?.Id}`) and deploy again");
        }

        try
        {
            journal.Create();
        }
        catch (Exception e)
        {
            _running.TryRemove(new KeyValuePair<string, Running>(app.Id, running));
            running.Dispose();
            throw new OperationException(OperationError.Unavailable, $"cannot record a deployment of app '{app.Name}': the leader's database refused the write ({e.Message}); check the disk that holds the leader's data dir, then deploy again");
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunStepsAsync(context, running.Cancellation.Token);
            }
            catch (Exception e)
            {
                journal.Finish(DeploymentStatus.Failed, $"internal error: {e.GetType().Name}: {e.Message}");
                Log.Crashed(_log, id, e.GetType().Name, e.Message);
            }

            // Closed (final status saved) before the app is free again: whoever finds it no
            // longer running reads its outcome from the database. The journal never throws for
            // a save; one that failed is retried until it lands, and meanwhile the waiting
            // caller has the outcome from memory.
            try
            {
                var final = journal.Close();
                if (journal.SaveFailure is not null)
                {
                    _ = SaveOutcomeAsync(journal);
                }

                running.Finished.TrySetResult(final);
            }
            catch (Exception e)
            {
                running.Finished.TrySetException(e);
            }
            finally
            {
                // The build step deleted it already unless the deployment ended before or in it.
                request.Upload?.Dispose();
                _running.TryRemove(new KeyValuePair<string, Running>(app.Id, running));
                running.Dispose();
                RaiseEnded(app);
            }
        });
        return new StartedDeployment(id, journal.Events, running.Finished.Task);
    }

    // An app built from a folder deploys only with an uploaded one, and only such an app takes
    // one; its image is tagged by the build, so no --tag either.
    private static void CheckSource(AppRecord app, DeploymentRequest request)
    {
        if (request.Migration)
        {
            if (!app.LocalImage || !string.IsNullOrWhiteSpace(request.Tag) || request.Upload is not null)
            {
                throw new OperationException(OperationError.FailedPrecondition, $"app '{app.Name}' does not run a registry-less image; nothing to migrate");
            }

            return;
        }

        if (request.Upload is not { } upload)
        {
            if (Sources.SourceRules.MissingUpload(app) is { } missing)
            {
                throw new OperationException(OperationError.FailedPrecondition, missing);
            }

            return;
        }

        if (Sources.SourceRules.UploadRefusal(app) is { } refusal)
        {
            throw new OperationException(OperationError.FailedPrecondition, refusal);
        }

        if (upload.AppId != app.Id)
        {
            throw new OperationException(OperationError.FailedPrecondition, $"upload '{upload.Id}' was sent for another app; run `clusterctl deploy {app.Name} --from-dir PATH` again");
        }

        if (!string.IsNullOrWhiteSpace(request.Tag))
        {
            throw new OperationException(OperationError.InvalidArgument, "--tag and --from-dir do not go together: the build tags the image with the first 12 hex digits of the folder's sha256");
        }
    }

    // `deployment cancel`: asks a running deployment to stop at its next safe point and returns
    // its final record once it has stopped. Before the rollout writes to the swarm the current
    // step is abandoned and the deployment ends `failed` ("cancelled by ACTOR before the service
    // was changed"); once the service may be on the new spec, confirm puts it back and it ends
    // `rolled-back`. A deployment that completes before it reaches a safe point ends as it ends
    // (the caller sees `succeeded`). NotFound for an unknown id; FailedPrecondition, naming the
    // status, for a deployment that already ended. A second cancel waits for the same outcome.
    public async Task<DeploymentRecord> CancelAsync(string id, string actor, CancellationToken cancellationToken)
    {
        var running = _running.Values.FirstOrDefault(r => r.Id == id);
        if (running is null)
        {
            var record = Get(id);
            var status = record.Status.ToWord();
            throw new OperationException(OperationError.FailedPrecondition, record.Status == DeploymentStatus.Running
                ? $"deployment {id} of app '{record.App}' is recorded as running but does not run on this leader; nothing to cancel"
                : $"deployment {id} of app '{record.App}' already finished: {status}{(record.Error.Length > 0 ? $" ({record.Error})" : "")}; nothing to cancel");
        }

        if (running.Context.MarkCancelled(actor))
        {
            running.Context.Journal.Say($"cancel requested by {actor}");
            Log.CancelRequested(_log, id, actor);
        }

        running.Cancel();
        return await running.Finished.Task.WaitAsync(cancellationToken);
    }

    public DeploymentRecord Get(string id) =>
        _db.Read(d => d.Deployments.FindById(id)) ?? throw new OperationException(OperationError.NotFound, $"no deployment '{id}'; `clusterctl deployment list APP` shows them");

    public IReadOnlyList<DeploymentRecord> List(string appName)
    {
        var app = _apps.Get(appName);
        return _db.Read(d => d.Deployments.Find(x => x.AppId == app.Id).OrderByDescending(x => x.StartedAt).ToList());
    }

    // After a leader restart: a deployment that was running did not finish. Say which spec the
    // service is on (the swarm is the truth), and mark it failed, with the step and the nodes'
    // parts it was in. The engine gets RecoveryDeadline for all of them together: the leader
    // starts after that whatever the engine does (an engine that takes the connection and never
    // answers held the start for the client's 100 s per record).
    public async Task RecoverInterruptedAsync(CancellationToken cancellationToken)
    {
        var interrupted = _db.Read(d => d.Deployments.Find(Query.EQ(nameof(DeploymentRecord.Status), DeploymentStatus.Running.ToWord())).ToList());
        if (interrupted.Count == 0)
        {
            return;
        }

        using var deadline = new CancellationTokenSource(RecoveryDeadline, _time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var engineAnswers = true;
        foreach (var record in interrupted)
        {
            var where = "the service's state could not be read";
            if (engineAnswers)
            {
                try
                {
                    var service = await _engine.FindServiceAsync(record.App, bounded.Token);
                    var image = service?.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "";
                    where = service is null ? "the service was not created"
                        : record.Digest.Length > 0 && image.EndsWith("@" + record.Digest, StringComparison.Ordinal)
                            ? $"the service is on the NEW spec ({image})"
                            : $"the service is on the OLD spec ({(image.Length > 0 ? image : "none")})";
                }
                catch (Exception e) when (e is DockerOperationException || (e is OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
                {
                    // One engine for all of them: once it fails, the others are not asked.
                    engineAnswers = false;
                    where = e is OperationCanceledException ? $"the service's state could not be read (the engine did not answer within {RecoveryDeadline.TotalSeconds:0} s)" : where;
                }
            }

            const string cut = "interrupted: the leader restarted";
            foreach (var step in record.Steps.Where(s => s.Status is StepStatus.Running or StepStatus.Pending))
            {
                step.Status = StepStatus.Failed;
                step.Error = cut;
                step.FinishedAt = _time.GetUtcNow().UtcDateTime;
            }

            foreach (var node in record.Nodes.Where(n => n.Status is StepStatus.Running or StepStatus.Pending))
            {
                node.Status = StepStatus.Failed;
                node.Error = cut;
            }

            record.Status = DeploymentStatus.Failed;
            record.Error = $"the leader restarted during this deployment; {where}; deploy again to finish";
            record.FinishedAt = _time.GetUtcNow().UtcDateTime;
            record.Log.Add(record.Error);
            _db.Write(d => d.Deployments.Update(record));
            Log.Interrupted(_log, record.Id, where);
        }
    }

    private async Task RunStepsAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        var journal = context.Journal;
        journal.Say($"deploying {context.Image.FamiliarString} (app {context.App.Name})");
        if (context.Request.SeenDigest is { Length: > 0 } seen)
        {
            journal.Say(context.App.Source == AppSources.Git
                ? $"triggered by {context.Request.Trigger.ToWord()}: the branch head moved to {seen} (the build fetches the branch again)"
                : $"triggered by {context.Request.Trigger.ToWord()}: the registry showed {seen} (resolved again below)");
        }

        foreach (var step in _steps)
        {
            if (!step.AppliesTo(context))
            {
                continue;
            }

            // A safe point: nothing is started that a cancel would have to undo.
            if (cancellationToken.IsCancellationRequested && !context.ServiceChanged)
            {
                journal.Finish(DeploymentStatus.Failed, CancelledBeforeChange(context, $"before {step.Name}"));
                return;
            }

            journal.StepStarted(step.Name);
            StepOutcome outcome;
            try
            {
                outcome = await step.RunAsync(context, cancellationToken);
            }
            catch (DockerOperationException e)
            {
                outcome = StepOutcome.Failed(e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                outcome = StepOutcome.Failed($"cancelled during {step.Name}");
            }

            var stepFailed = !outcome.Proceed && outcome.Status != DeploymentStatus.Succeeded;
            journal.StepFinished(step.Name, stepFailed ? StepStatus.Failed : StepStatus.Ok, stepFailed ? outcome.Message : "");
            if (stepFailed)
            {
                // A step stopped by the cancel says how (its own error stays on the step); the
                // deployment says who cancelled and that the swarm was not touched.
                journal.Finish(outcome.Status, cancellationToken.IsCancellationRequested && !context.ServiceChanged && outcome.Status == DeploymentStatus.Failed
                    ? CancelledBeforeChange(context, $"during {step.Name}")
                    : outcome.Message);
                return;
            }

            if (!outcome.Proceed)
            {
                journal.Say(outcome.Message);
                break;
            }
        }

        var pinned = context.Pinned;
        _apps.RecordDeployed(context.App.Id, context.Tag, context.Digest ?? "", pinned, journal.Id);
        if (context.App.Source is AppSources.Git or AppSources.Dir)
        {
            _apps.RecordBuilt(context.App.Id, context.Image.Name, context.Tag, context.LocalImage, context.LocalImageNode);
        }

        _sessions.PublishPins();
        journal.Finish(DeploymentStatus.Succeeded, $"deployment {journal.Id} succeeded: {pinned}");
    }

    // The outcome of an ended deployment that the database refused: saved again after 1 s,
    // doubling to 1 min, until it lands, so `deployment show` does not say `running` for good.
    // Stops when the database is closed (the leader is stopping; its next start marks the record
    // interrupted).
    private async Task SaveOutcomeAsync(DeploymentJournal journal)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (journal.SaveFailure is { } failure && failure is not (ObjectDisposedException or LiteException { ErrorCode: LiteException.ENGINE_DISPOSED }))
        {
            await Task.Delay(delay, _time);
            delay = delay * 2 < MaxSaveRetry ? delay * 2 : MaxSaveRetry;
            journal.Save();
        }

        if (journal.SaveFailure is null)
        {
            Log.SavedLate(_log, journal.Id);
        }
    }

    private void RaiseEnded(AppRecord app)
    {
        try
        {
            Ended?.Invoke(app);
        }
        catch (Exception e)
        {
            Log.EndedHandlerFailed(_log, app.Name, e.GetType().Name, e.Message);
        }
    }

    private static string CancelledBeforeChange(DeploymentContext context, string when) =>
        $"cancelled by {context.CancelledBy ?? "the operator"} before the service was changed ({when})";

    // A deployment in progress, how to stop it, and its final record once it has ended.
    private sealed class Running(string id, DeploymentContext context) : IDisposable
    {
        public string Id { get; } = id;

        public DeploymentContext Context { get; } = context;

        public CancellationTokenSource Cancellation { get; } = new();

        public TaskCompletionSource<DeploymentRecord> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel()
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended meanwhile.
            }
        }

        public void Dispose() => Cancellation.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(700, LogLevel.Error, "deployment {Id} crashed: {Type}: {Message}")]
        public static partial void Crashed(ILogger logger, string id, string type, string message);

        [LoggerMessage(701, LogLevel.Warning, "deployment {Id} was interrupted by a leader restart; {Where}")]
        public static partial void Interrupted(ILogger logger, string id, string where);

        [LoggerMessage(702, LogLevel.Information, "deployment {Id}: cancel requested by {Actor}")]
        public static partial void CancelRequested(ILogger logger, string id, string actor);

        [LoggerMessage(703, LogLevel.Warning, "a handler of the end of a deployment of app {App} failed: {Type}: {Message}")]
        public static partial void EndedHandlerFailed(ILogger logger, string app, string type, string message);

        [LoggerMessage(704, LogLevel.Error, "deployment {Id}: the database refused to save its record ({Type}: {Message}); the deployment goes on and its record is saved again at its next step or end; check the disk of the leader's data dir")]
        public static partial void NotSaved(ILogger logger, string id, string type, string message);

        [LoggerMessage(705, LogLevel.Information, "deployment {Id}: its outcome is saved now, after the database refused it at first")]
        public static partial void SavedLate(ILogger logger, string id);
    }
}
