namespace Cluster.Leader.Deployments;

// One step of a deployment. The pipeline runs the registered steps ordered by Order; each reads
// what earlier steps put in the DeploymentContext and adds its own part. A step records
// per-node results and log lines through context.Journal; its own state (running, ok, failed)
// is recorded by the pipeline. Cancellation (deployment cancelled or leader stopping)
// arrives through the token; a step's own waits end at deadlines taken from TimeProvider.
public interface IDeploymentStep
{
    // The name shown in `deployment show` ("resolve", "pre-pull", ...).
    string Name { get; }

    // Where it runs: StepOrder's constants, spaced so a new step fits between two.
    int Order { get; }

    // False when this deployment has nothing for the step to do (e.g. a build for an image app);
    // the step is then not run and not recorded.
    bool AppliesTo(DeploymentContext context);

    Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken);
}
