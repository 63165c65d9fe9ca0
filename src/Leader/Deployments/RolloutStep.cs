using Cluster.Core.Docker;
using Cluster.Leader.Apps;

namespace Cluster.Leader.Deployments;

// Step "rollout": creates the app's swarm service, or updates it, pinned to repo:tag@digest
// (ServiceSpecs), never with registry auth in the spec (swarm would copy it to every worker's
// disk; the agents keep the pinned image present instead). Only the app's own service is
// updated (OwnedServices). A service already on exactly that spec is left alone and the
// deployment completes here: no restart for nothing.
public sealed class RolloutStep(DockerEngine engine, OwnedServices services) : IDeploymentStep
{
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

        if (existing is null)
        {
            var id = await engine.CreateServiceAsync(wanted, cancellationToken);
            context.Journal.Say($"created service {app.Name} with {pinned}");
            context.Service = await engine.InspectServiceAsync(id, cancellationToken);
        }
        else
        {
            await engine.UpdateServiceAsync(existing, wanted, cancellationToken);
            context.Journal.Say($"updated service {app.Name} to {pinned}");
            context.Service = existing;
        }

        context.Journal.Save();
        return StepOutcome.Next;
    }
}
