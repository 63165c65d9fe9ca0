
namespace Cluster.Leader.Deployments;

// The deployment pipeline in DI: the orchestrator and every step. A new step is one more
// AddSingleton<IDeploymentStep, ...> line here; the orchestrator orders steps by their Order.
public static class DeploymentServices
{
    public static IServiceCollection AddDeployments(this IServiceCollection services, DeploymentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<LoginChooser>();
        services.AddSingleton<IDeploymentStep, ResolveStep>();
        services.AddSingleton<IDeploymentStep, PlaceStep>();
        services.AddSingleton<IDeploymentStep, PrePullStep>();
        services.AddSingleton<IDeploymentStep, RolloutStep>();
        services.AddSingleton<IDeploymentStep, ConfirmStep>();
        services.AddSingleton<DeploymentOrchestrator>();
        services.AddSingleton<Builds.IRunningDeployments>(sp => sp.GetRequiredService<DeploymentOrchestrator>());
        return services;
    }
}
