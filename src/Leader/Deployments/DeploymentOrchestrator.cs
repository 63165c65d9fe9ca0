using System.Collections.Concurrent;
using System.Threading.Channels;
using Cluster.Core.Credentials;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Agents;
using Cluster.Leader.Apps;
using Cluster.Leader.Credentials;
using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Agent.V1;
using Docker.DotNet;
using Docker.DotNet.Models;
using Google.Protobuf.WellKnownTypes;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Deployments;

// One deployment of an app, in the only order that lets a failure be reported truthfully and
// leave the service untouched:
//   resolve   the tag to a digest, once, on the leader (unknown tag: stop here);
//   pre-pull  repo@digest on every node the service may run on, in parallel, via the agents
//             (any node failing: stop here, naming each node and why);
//   update    the service pinned to repo:tag@digest, with current auth as a fallback;
//   confirm   every running task is on the digest; otherwise roll back and say why, per node.
// Deployments of one app are serialised; each step is saved, so a leader restart can tell
// which spec the service was left on.
public sealed partial class DeploymentOrchestrator(
    LeaderDatabase db,
    AppService apps,
    CredentialService credentials,
    RegistryClient registry,
    DockerEngine engine,
    SessionRegistry sessions,
    PrePullReports prePulls,
    DeploymentOptions options,
    TimeProvider time,
    ILogger<DeploymentOrchestrator> log)
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    // Named fields so the nested Run can reach them (primary constructor parameters cannot be).
    private readonly LeaderDatabase _db = db;
    private readonly CredentialService _credentials = credentials;
    private readonly RegistryClient _registry = registry;
    private readonly DockerEngine _engine = engine;
    private readonly SessionRegistry _sessions = sessions;
    private readonly PrePullReports _prePulls = prePulls;
    private readonly DeploymentOptions _options = options;
    private readonly TimeProvider _time = time;

    // Starts a deployment and returns its id and its event stream; the deployment goes on even if
    // nobody reads the stream (the caller disconnecting does not stop it).
    public (string Id, ChannelReader<DeployEvent> Events, Task<DeploymentRecord> Done) Start(string appName, string? tag, string actor)
    {
        var app = apps.Get(appName);
        var id = "d" + Guid.NewGuid().ToString("N")[..15];
        if (!_running.TryAdd(app.Id, id))
        {
            _running.TryGetValue(app.Id, out var other);
            throw new OperationException(OperationError.FailedPrecondition, $"deployment {other} of app '{app.Name}' is still running; wait for it (`clusterctl deployment show {other}`) and deploy again");
        }

        var requestedTag = string.IsNullOrWhiteSpace(tag) ? app.Tag : tag.Trim();
        var record = new DeploymentRecord
        {
            Id = id,
            AppId = app.Id,
            App = app.Name,
            Image = $"{app.Image}:{requestedTag}",
            RequestedBy = actor,
            StartedAt = _time.GetUtcNow().UtcDateTime,
        };
        var events = Channel.CreateUnbounded<DeployEvent>(new UnboundedChannelOptions { SingleReader = true });
        var run = new Run(this, record, events.Writer);
        Save(record);
        var done = Task.Run(async () =>
        {
            try
            {
                await run.ExecuteAsync(app, requestedTag);
            }
            catch (Exception e)
            {
                run.Fail($"internal error: {e.GetType().Name}: {e.Message}");
                Log.Crashed(log, id, e.GetType().Name, e.Message);
            }
            finally
            {
                record.FinishedAt = _time.GetUtcNow().UtcDateTime;
                Save(record);
                _running.TryRemove(app.Id, out _);
                events.Writer.TryWrite(new DeployEvent { Finished = ToProto(record) });
                events.Writer.TryComplete();
            }

            return record;
        });
        return (id, events.Reader, done);
    }

    public DeploymentRecord Get(string id) =>
        _db.Read(d => d.Deployments.FindById(id)) ?? throw new OperationException(OperationError.NotFound, $"no deployment '{id}'; `clusterctl deployment list APP` shows them");

    public IReadOnlyList<DeploymentRecord> List(string appName)
    {
        var app = apps.Get(appName);
        return _db.Read(d => d.Deployments.Find(x => x.AppId == app.Id).OrderByDescending(x => x.StartedAt).ToList());
    }

    // After a leader restart: a deployment that was running did not finish. Say which spec the
    // service is on (the swarm is the truth), and mark it failed.
    public async Task RecoverInterruptedAsync(CancellationToken cancellationToken)
    {
        foreach (var record in _db.Read(d => d.Deployments.Find(x => x.Status == "running").ToList()))
        {
            string where;
            try
            {
                var service = await _engine.Client.Swarm.InspectServiceAsync(record.App, cancellationToken);
                var image = service.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "";
                where = record.Digest.Length > 0 && image.EndsWith("@" + record.Digest, StringComparison.Ordinal)
                    ? $"the service is on the NEW spec ({image})"
                    : $"the service is on the OLD spec ({(image.Length > 0 ? image : "none")})";
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                where = "the service was not created";
            }
            catch (Exception e) when (e is DockerApiException or DockerOperationException or HttpRequestException)
            {
                where = "the service's state could not be read";
            }

            record.Status = "failed";
            record.Error = $"the leader restarted during this deployment; {where}; deploy again to finish";
            record.FinishedAt = _time.GetUtcNow().UtcDateTime;
            record.Log.Add(record.Error);
            Save(record);
            Log.Interrupted(log, record.Id, where);
        }
    }

    public static Protos.Admin.V1.Deployment ToProto(DeploymentRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var d = new Protos.Admin.V1.Deployment
        {
            Id = r.Id,
            App = r.App,
            Status = r.Status,
            Image = r.Image,
            Digest = r.Digest,
            StartedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(r.StartedAt, DateTimeKind.Utc)),
            Error = r.Error,
            RequestedBy = r.RequestedBy,
        };
        if (r.FinishedAt is { } f)
        {
            d.FinishedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(f, DateTimeKind.Utc));
        }

        d.Nodes.AddRange(r.Nodes.Select(n => new Protos.Admin.V1.NodeStep { Node = n.Node, Step = n.Step, Status = n.Status, Error = n.Error }));
        d.Log.AddRange(r.Log);
        return d;
    }

    private void Save(DeploymentRecord record) => _db.Write(d => d.Deployments.Upsert(record));

    // The state of one deployment while it runs.
    private sealed class Run(DeploymentOrchestrator o, DeploymentRecord record, ChannelWriter<DeployEvent> events)
    {
        private readonly Lock _sync = new();

        public async Task ExecuteAsync(AppRecord app, string tag)
        {
            var image = ImageReference.Parse($"{app.Image}:{tag}");
            Say($"deploying {image.FamiliarString} (app {app.Name})");

            // 1. Resolve, with the app's credential or the keyring's best match.
            var (login, insecure, credentialName) = LoginFor(app, image);
            var host = RegistryHost.Parse(image.Registry, insecure);
            var resolved = await o._registry.ResolveAsync(host, image, login, CancellationToken.None);
            if (!resolved.Check.Ok)
            {
                Fail(resolved.Check.Failure == RegistryFailureKind.NotFound
                    ? $"image not found: {image.Canonical}; check that the registry URL matches the image path"
                    : $"cannot resolve {image.Canonical}{(credentialName is null ? "" : $" with registry '{credentialName}'")}: {resolved.Check.Message}");
                return;
            }

            var digest = resolved.Value!.Digest;
            record.Digest = digest;
            var pinned = $"{image.Name}:{tag}@{digest}";
            Say($"resolved {image.FamiliarString} to {digest}");
            o.Save(record);

            // 2. Which nodes may run it, and can each of them?
            var allNodes = await o._engine.ListSwarmNodesAsync(CancellationToken.None);
            var targets = Placement.Eligible(allNodes, app.Constraints);
            if (targets.Count == 0)
            {
                Fail($"no ready, active node satisfies the constraints [{string.Join(", ", app.Constraints)}]");
                return;
            }

            var platforms = await o._registry.GetPlatformsAsync(host, image.WithDigest(digest), login, CancellationToken.None);
            if (platforms.Check.Ok && platforms.Value is { Count: > 0 } covered)
            {
                var missing = targets.Where(n => !covered.Any(p => p.StartsWith($"{n.Os}/{n.Architecture}", StringComparison.Ordinal))).ToList();
                if (missing.Count > 0)
                {
                    Fail($"{image.FamiliarString} has no image for {string.Join(", ", missing.Select(n => $"node {n.Hostname} ({n.Os}/{n.Architecture})"))}; it provides {string.Join(", ", covered)}");
                    return;
                }
            }

            if (!await PrePullAsync(targets, image.WithDigest(digest)))
            {
                return;
            }

            // 3. Update (or create) the service, pinned.
            var wanted = ServiceSpecs.Build(app, pinned);
            SwarmService? existing = null;
            try
            {
                existing = await o._engine.Client.Swarm.InspectServiceAsync(app.Name, CancellationToken.None);
            }
            catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // first deployment: create
            }

            if (existing?.Spec is not null && ServiceSpecs.Same(existing.Spec, wanted))
            {
                Say($"service {app.Name} already runs {pinned}; nothing to change");
                Succeed(app, digest, pinned);
                return;
            }

            var auth = login is null ? null : new AuthConfig { ServerAddress = login.ServerAddress, Username = login.Username, Password = login.Secret };
            if (existing is null)
            {
                await o._engine.Client.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = wanted, RegistryAuth = auth! }, CancellationToken.None);
                Say($"created service {app.Name} with {pinned}");
            }
            else
            {
                await o._engine.Client.Swarm.UpdateServiceAsync(existing.ID, new ServiceUpdateParameters { Service = wanted, Version = (long)(existing.Version?.Index ?? 0), RegistryAuth = auth! }, CancellationToken.None);
                Say($"updated service {app.Name} to {pinned}");
            }

            o.Save(record);

            // 4. Confirm: every running task on the pinned image; else roll back.
            await ConfirmAsync(app, pinned, existing is not null, allNodes);
            if (record.Status == "running")
            {
                Succeed(app, digest, pinned);
            }
        }

        public void Fail(string error, string status = "failed")
        {
            lock (_sync)
            {
                record.Status = status;
                record.Error = error;
            }

            Say(error);
        }

        private (RegistryLogin? Login, bool Insecure, string? Name) LoginFor(AppRecord app, ImageReference image)
        {
            if (app.Registry.Length > 0)
            {
                var view = o._credentials.Get(app.Registry);
                return (o._credentials.LoginOf(app.Registry), view.Insecure, view.Name);
            }

            var ring = new CredentialKeyring<CredentialView>();
            foreach (var c in o._credentials.List())
            {
                ring.Add(c.Url, c);
            }

            return ring.Lookup(image) is [var best, ..] ? (o._credentials.LoginOf(best.Name), best.Insecure, best.Name) : (null, false, null);
        }

        private async Task<bool> PrePullAsync(IReadOnlyList<SwarmNode> targets, ImageReference image)
        {
            Say($"pre-pulling {image.Canonical} on {targets.Count} node{(targets.Count == 1 ? "" : "s")}: {string.Join(", ", targets.Select(t => t.Hostname))}");
            var deadline = o._time.GetUtcNow() + o._options.PrePullDeadline;
            var results = await Task.WhenAll(targets.Select(node => PrePullOneAsync(node, image, deadline)));
            var failures = results.Where(r => r is not null).ToList();
            if (failures.Count > 0)
            {
                Fail($"pre-pull failed, service not touched: {string.Join("; ", failures)}");
                return false;
            }

            return true;
        }

        // Null on success, else "node X: why".
        private async Task<string?> PrePullOneAsync(SwarmNode node, ImageReference image, DateTimeOffset deadline)
        {
            var step = Step(node.Hostname, "pre-pull");
            var session = o._sessions.Live.FirstOrDefault(s => s.SwarmNodeId == node.Id);
            if (session is null)
            {
                return StepFailed(step, $"node {node.Hostname}: no agent connected; start cluster-agent on it");
            }

            var orderId = Guid.NewGuid().ToString("N");
            var reports = o._prePulls.Subscribe(orderId);
            try
            {
                session.Send(new LeaderMessage
                {
                    PrePull = new PrePullOrder { OrderId = orderId, Image = image.Canonical, DeploymentId = record.Id, Deadline = Timestamp.FromDateTimeOffset(deadline) },
                });
                StepRunning(step);
                using var timeout = new CancellationTokenSource(deadline - o._time.GetUtcNow());
                using var gone = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, session.Token);
                try
                {
                    await foreach (var report in reports.ReadAllAsync(gone.Token))
                    {
                        if (report.KindCase == AgentMessage.KindOneofCase.PrePullProgress)
                        {
                            events.TryWrite(new DeployEvent { Node = new Protos.Admin.V1.NodeStep { Node = node.Hostname, Step = "pre-pull", Status = "running", BytesDone = report.PrePullProgress.BytesDone, BytesTotal = report.PrePullProgress.BytesTotal } });
                            continue;
                        }

                        var result = report.PrePullResult;
                        if (result.Ok)
                        {
                            StepOk(step);
                            return null;
                        }

                        var why = string.IsNullOrEmpty(result.Message) ? result.Failure.ToString() : result.Message;
                        return StepFailed(step, $"node {node.Hostname}: {Describe(result.Failure)}: {why}");
                    }
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    return StepFailed(step, $"node {node.Hostname}: no pre-pull result within {o._options.PrePullDeadline.TotalSeconds:0} s (node unreachable or pull too slow)");
                }
                catch (OperationCanceledException)
                {
                    return StepFailed(step, $"node {node.Hostname}: its agent disconnected during the pre-pull");
                }

                return StepFailed(step, $"node {node.Hostname}: its agent disconnected during the pre-pull");
            }
            finally
            {
                o._prePulls.Unsubscribe(orderId);
            }
        }

        private async Task ConfirmAsync(AppRecord app, string pinned, bool isUpdate, IReadOnlyList<SwarmNode> nodes)
        {
            var names = nodes.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
            var until = o._time.GetUtcNow() + o._options.ConvergeDeadline;
            var filter = new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [app.Name] = true } } };
            while (o._time.GetUtcNow() < until)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), o._time);
                var service = await o._engine.Client.Swarm.InspectServiceAsync(app.Name, CancellationToken.None);
                var state = service.UpdateStatus?.State ?? "";
                var tasks = await o._engine.Client.Tasks.ListAsync(filter, CancellationToken.None);
                if (state.StartsWith("rollback", StringComparison.Ordinal) || state == "paused")
                {
                    Fail($"swarm rolled the update back ({state}): {service.UpdateStatus?.Message}; {TaskErrors(tasks, pinned, names)}", "rolled-back");
                    return;
                }

                var onPinned = tasks.Where(t => t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running && t.Spec?.ContainerSpec?.Image == pinned).ToList();
                var converged = (state is "" or "completed") && onPinned.Count >= app.Replicas;
                if (converged)
                {
                    foreach (var task in onPinned)
                    {
                        StepOk(Step(NameOf(names, task.NodeID), "run"));
                    }

                    Say($"{onPinned.Count} task{(onPinned.Count == 1 ? "" : "s")} running {pinned} on {string.Join(", ", onPinned.Select(t => NameOf(names, t.NodeID)).Distinct())}");
                    return;
                }
            }

            var last = await o._engine.Client.Tasks.ListAsync(filter, CancellationToken.None);
            var reason = $"tasks did not all run {pinned} within {o._options.ConvergeDeadline.TotalSeconds:0} s: {TaskErrors(last, pinned, names)}";
            if (isUpdate)
            {
                var current = await o._engine.Client.Swarm.InspectServiceAsync(app.Name, CancellationToken.None);
                await o._engine.Client.Swarm.UpdateServiceAsync(current.ID, new ServiceUpdateParameters { Service = current.Spec!, Version = (long)(current.Version?.Index ?? 0), Rollback = "previous" }, CancellationToken.None);
                Fail($"{reason}; rolled back to the previous spec", "rolled-back");
            }
            else
            {
                await o._engine.Client.Swarm.RemoveServiceAsync(app.Name, CancellationToken.None);
                Fail($"{reason}; the new service was removed", "rolled-back");
            }
        }

        private static string TaskErrors(IEnumerable<TaskResponse> tasks, string pinned, IReadOnlyDictionary<string, string> names)
        {
            var errors = tasks
                .Where(t => t.Spec?.ContainerSpec?.Image == pinned && (t.Status?.State is TaskState.Failed or TaskState.Rejected || !string.IsNullOrEmpty(t.Status?.Err)))
                .Select(t => $"node {NameOf(names, t.NodeID)}: {t.Status?.State} {t.Status?.Err ?? t.Status?.Message}".Trim())
                .Distinct()
                .Take(10)
                .ToList();
            return errors.Count == 0 ? "no task error reported" : string.Join("; ", errors);
        }

        private static string NameOf(IReadOnlyDictionary<string, string> names, string? nodeId) =>
            nodeId is not null && names.TryGetValue(nodeId, out var name) ? name : nodeId ?? "?";

        private void Succeed(AppRecord app, string digest, string pinned)
        {
            lock (_sync)
            {
                record.Status = "succeeded";
            }

            o._db.Write(d =>
            {
                if (d.Apps.FindById(app.Id) is { } current)
                {
                    current.Digest = digest;
                    current.PinnedImage = pinned;
                    current.LastDeployment = record.Id;
                    d.Apps.Update(current);
                }

                return true;
            });
            o._sessions.PublishPins();
            Say($"deployment {record.Id} succeeded: {pinned}");
        }

        private NodeStepRecord Step(string node, string step)
        {
            lock (_sync)
            {
                var existing = record.Nodes.FirstOrDefault(n => n.Node == node && n.Step == step);
                if (existing is null)
                {
                    existing = new NodeStepRecord { Node = node, Step = step };
                    record.Nodes.Add(existing);
                }

                return existing;
            }
        }

        private void StepRunning(NodeStepRecord step) => SetStep(step, "running", "");

        private void StepOk(NodeStepRecord step) => SetStep(step, "ok", "");

        private string StepFailed(NodeStepRecord step, string error)
        {
            SetStep(step, "failed", error);
            return error;
        }

        private void SetStep(NodeStepRecord step, string status, string error)
        {
            lock (_sync)
            {
                step.Status = status;
                step.Error = error;
            }

            events.TryWrite(new DeployEvent { Node = new Protos.Admin.V1.NodeStep { Node = step.Node, Step = step.Step, Status = status, Error = error } });
        }

        private void Say(string line)
        {
            var stamped = $"{o._time.GetUtcNow():HH:mm:ss} {line}";
            lock (_sync)
            {
                record.Log.Add(stamped);
            }

            events.TryWrite(new DeployEvent { Log = stamped });
        }

        private static string Describe(FailureKind kind) => kind switch
        {
            FailureKind.Unauthorized => "unauthorized",
            FailureKind.Forbidden => "forbidden",
            FailureKind.NotFound => "not found",
            FailureKind.Unreachable => "registry unreachable",
            FailureKind.Tls => "TLS failure",
            FailureKind.RateLimited => "rate limited",
            FailureKind.NoSpace => "no space left",
            FailureKind.Engine => "engine failure",
            FailureKind.Deadline => "deadline passed",
            _ => "failed",
        };
    }

    private static partial class Log
    {
        [LoggerMessage(700, LogLevel.Error, "deployment {Id} crashed: {Type}: {Message}")]
        public static partial void Crashed(ILogger logger, string id, string type, string message);

        [LoggerMessage(701, LogLevel.Warning, "deployment {Id} was interrupted by a leader restart; {Where}")]
        public static partial void Interrupted(ILogger logger, string id, string where);
    }
}
