using Cluster.Core.Docker;
using Cluster.Leader.Apps;

namespace Cluster.Leader.Deployments;

// Step "rollout": creates the app's swarm service, or updates it, pinned to repo:tag@digest
// (ServiceSpecs), never with registry auth in the spec (swarm would copy it to every worker's
// disk; the agents keep the pinned image present instead). Only the app's own service is
// updated (OwnedServices). A service already on exactly that spec is left alone and the
// deployment completes here: no restart for nothing.
//
// The write is not cancelled halfway (an engine call abandoned mid-request leaves the service in
// an unknown state): a `deployment cancel` that arrives during it is honoured by confirm, which
// sees the cancelled token and puts the service back.
public sealed class RolloutStep(DockerEngine engine, OwnedServices services, TimeProvider time) : IDeploymentStep
{
    // Bounds the write and the inspect after it, which the deployment's token does not.
    private static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(60);

    public string Name => "rollout";

    public int Order => StepOrder.Rollout;

    public bool AppliesTo(DeploymentContext context) => true;

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var app = context.App;
        var pinned = context.Pinned;
        var wanted = ServiceSpecs.Build(app, pinned);
        var (existing, refusal) = await services.FindAsync(app, cancellationToken);
        if (refusal is not null)
        {
            return StepOutcome.Failed(refusal);
        }

        context.PreviousService = existing;
        if (existing?.Spec is not null && ServiceSpecs.Same(existing.Spec, wanted))
        {
            context.Service = existing;
            return StepOutcome.Done($"service {app.Name} already runs {pinned}; nothing to change");
        }

        cancellationToken.ThrowIfCancellationRequested();
        context.ServiceChanged = true;
        using var write = new CancellationTokenSource(WriteDeadline, time);
        try
        {
            if (existing is null)
            {
                var id = await engine.CreateServiceAsync(wanted, write.Token);
                context.Journal.Say($"created service {app.Name} with {pinned}");
                context.Service = await engine.InspectServiceAsync(id, write.Token);
            }
            else
            {
                await engine.UpdateServiceAsync(existing, wanted, write.Token);
                context.Journal.Say($"updated service {app.Name} to {pinned}");
                context.Service = existing;
            }
        }
        catch (OperationCanceledException) when (write.IsCancellationRequested)
        {
            throw new DockerOperationException(existing is null ? "create service" : "update service", app.Name, Core.Registry.RegistryFailureKind.Engine,
                $"the engine did not answer within {WriteDeadline.TotalSeconds:0} s; the service may be on the new spec (`docker service inspect {app.Name}`)");
        }

        context.Journal.Save();
        return StepOutcome.Next;
    }
}
