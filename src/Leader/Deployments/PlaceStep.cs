using Cluster.Core.Docker;
using Cluster.Core.Registry;
using Cluster.Leader.Apps;

namespace Cluster.Leader.Deployments;

// Step "place": whether the app may have the service of its name (a same-named service that is
// not the app's is refused before any node pulls), which nodes the service may run on (its
// constraints, on ready and active nodes), and whether the image has a platform for each of
// them. Refusing here is cheaper and clearer than a task that swarm rejects on one node.
public sealed class PlaceStep(DockerEngine engine, RegistryClient registry, OwnedServices services) : IDeploymentStep
{
    public string Name => "place";

    public int Order => StepOrder.Place;

    public bool AppliesTo(DeploymentContext context) => true;

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, refusal) = await services.FindAsync(context.App, cancellationToken);
        if (refusal is not null)
        {
            return StepOutcome.Failed(refusal);
        }

        context.Nodes = await engine.ListSwarmNodesAsync(cancellationToken);
        context.Targets = Placement.Eligible(context.Nodes, context.App.Constraints);
        if (context.Targets.Count == 0)
        {
            return StepOutcome.Failed($"no ready, active node satisfies the constraints [{string.Join(", ", context.App.Constraints)}]");
        }

        if (context.LocalImage)
        {
            // Built on the only node by its own engine: its platform is that node's.
            return StepOutcome.Next;
        }

        var image = context.PinnedReference;
        var platforms = await registry.GetPlatformsAsync(context.Host!, image, context.Login, cancellationToken);
        if (platforms.Check.Ok && platforms.Value is { Count: > 0 } covered)
        {
            var missing = Placement.WithoutPlatform(context.Targets, covered);
            if (missing.Count > 0)
            {
                return StepOutcome.Failed($"{context.Image.FamiliarString} has no image for {string.Join(", ", missing.Select(n => $"node {n.Hostname} ({n.Os}/{n.Architecture})"))}; it provides {string.Join(", ", covered)}");
            }
        }

        return StepOutcome.Next;
    }
}
