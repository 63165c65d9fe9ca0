using Cluster.Core.Docker;
using Cluster.Leader.Storage;
using Docker.DotNet.Models;

namespace Cluster.Leader.Deployments;

// Step "confirm": waits until swarm reports the update complete and every replica runs the
// pinned image. If swarm rolls back or pauses, or the converge deadline passes, or the
// deployment is cancelled, the service is put back (the previous spec, or removed when this
// deployment created it) and the outcome is rolled-back with each node's task errors.
public sealed class ConfirmStep(DockerEngine engine, DeploymentOptions options, TimeProvider time) : IDeploymentStep
{
    public const string NodeStep = "run";

    // Between checks when no service event wakes the step earlier (an engine without the events
    // stream, or a change that sends none, such as a task starting).
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // Putting the service back must not depend on the deployment's own token (which may be the
    // reason we are putting it back), but must not hang either.
    private static readonly TimeSpan RestoreDeadline = TimeSpan.FromSeconds(60);

    public string Name => "confirm";

    public int Order => StepOrder.Confirm;

    public bool AppliesTo(DeploymentContext context) => true;

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var app = context.App;
        var pinned = context.Pinned;
        var names = context.Nodes.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
        var service = context.Service ?? await engine.FindServiceAsync(app.Name, cancellationToken)
            ?? throw new DockerOperationException("inspect service", app.Name, Core.Registry.RegistryFailureKind.NotFound, "the service disappeared right after the rollout");
        using var converge = new CancellationTokenSource(options.ConvergeDeadline, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(converge.Token, cancellationToken);
        // Swarm marks the update completed (its monitor period after the last task started) with a
        // service event: the check runs at once instead of up to one poll interval later.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(wait.Token);
        using var changed = new SemaphoreSlim(0, 1);
        var watch = WatchAsync(service.ID, changed, watching.Token);
        string reason;
        try
        {
            while (true)
            {
                await WaitForChangeAsync(changed, wait.Token);
                var current = await engine.InspectServiceAsync(service.ID, wait.Token)
                    ?? throw new DockerOperationException("inspect service", app.Name, Core.Registry.RegistryFailureKind.NotFound, "the service was removed during the deployment");
                var state = current.UpdateStatus?.State ?? "";
                var tasks = await engine.ListTasksAsync(service, wait.Token);
                if (state.StartsWith("rollback", StringComparison.Ordinal) || state == "paused")
                {
                    return StepOutcome.RolledBack($"swarm rolled the update back ({state}): {current.UpdateStatus?.Message}; {TaskErrors(tasks, pinned, names)}");
                }

                var onPinned = tasks.Where(t => t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running && t.Spec?.ContainerSpec?.Image == pinned).ToList();
                if ((state is "" or "completed") && onPinned.Count >= app.Replicas)
                {
                    foreach (var task in onPinned)
                    {
                        context.Journal.Node(NameOf(names, task.NodeID), NodeStep, StepStatus.Ok);
                    }

                    context.Journal.Say($"{onPinned.Count} task{(onPinned.Count == 1 ? "" : "s")} running {pinned} on {string.Join(", ", onPinned.Select(t => NameOf(names, t.NodeID)).Distinct())}");
                    return StepOutcome.Next;
                }
            }
        }
        catch (OperationCanceledException) when (converge.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            using var restore = new CancellationTokenSource(RestoreDeadline, time);
            var last = await engine.ListTasksAsync(service, restore.Token);
            reason = $"tasks did not all run {pinned} within {options.ConvergeDeadline.TotalSeconds:0} s: {TaskErrors(last, pinned, names)}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = $"cancelled by {context.CancelledBy ?? "the operator"} while swarm was updating the service";
        }
        finally
        {
            // The stream ends when cancelled; an engine slow to notice does not hold the outcome.
            await watching.CancelAsync();
            await Task.WhenAny(watch, Task.Delay(TimeSpan.FromSeconds(5), time, CancellationToken.None));
        }

        return await RestoreAsync(context, service, reason);
    }

    // The next check: when a service event arrives or the poll interval passes, whichever is first.
    private async Task WaitForChangeAsync(SemaphoreSlim changed, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signalled = changed.WaitAsync(either.Token);
        var polled = Task.Delay(PollInterval, time, either.Token);
        await Task.WhenAny(signalled, polled);
        await either.CancelAsync();
        await Task.WhenAll(signalled, polled).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        cancellationToken.ThrowIfCancellationRequested();
    }

    // Best effort: a failed or refused events stream only leaves the step polling.
    private async Task WatchAsync(string serviceId, SemaphoreSlim changed, CancellationToken cancellationToken)
    {
        try
        {
            await engine.WatchServiceEventsAsync(serviceId, () =>
            {
                if (!cancellationToken.IsCancellationRequested && changed.CurrentCount == 0)
                {
                    try
                    {
                        changed.Release();
                    }
                    catch (SemaphoreFullException)
                    {
                        // Another event signalled first: one wake-up is enough.
                    }
                }
            }, cancellationToken);
        }
        catch (Exception)
        {
            // Whatever ended the stream (the step ended, an engine without events, a stream it
            // broke), the loop's polling carries on alone: nothing here decides the outcome.
        }
    }

    private async Task<StepOutcome> RestoreAsync(DeploymentContext context, SwarmService service, string reason)
    {
        using var restore = new CancellationTokenSource(RestoreDeadline, time);
        if (context.PreviousService is not null)
        {
            var current = await engine.InspectServiceAsync(service.ID, restore.Token) ?? service;
            await engine.RollbackServiceAsync(current, restore.Token);
            return StepOutcome.RolledBack($"{reason}; rolled back to the previous spec");
        }

        await engine.RemoveServiceAsync(service, restore.Token);
        return StepOutcome.RolledBack($"{reason}; the new service was removed");
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
}
