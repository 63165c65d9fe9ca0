using Cluster.Leader.Builds;

namespace Cluster.Leader.AutoSync;

public static class AutoSyncServiceCollectionExtensions
{
    // The poller, its planner, its checks (registry and build servers) and options (validated
    // here, so a bad flag stops the leader).
    public static IServiceCollection AddAutoSync(this IServiceCollection services, AutoSyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new SyncPlanner(options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<BuilderGitHeads>();
        services.AddSingleton<IRefChecks, RefChecks>();
        services.AddSingleton<IAutoSyncDeployer, OrchestratorDeployer>();
        services.AddSingleton<AutoSyncService>();
        services.AddHostedService(sp => sp.GetRequiredService<AutoSyncService>());
        return services;
    }
}
