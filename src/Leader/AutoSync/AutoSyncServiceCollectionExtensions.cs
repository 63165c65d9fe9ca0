namespace Cluster.Leader.AutoSync;

public static class AutoSyncServiceCollectionExtensions
{
    // The poller, its planner and options (validated here, so a bad flag stops the leader).
    public static IServiceCollection AddAutoSync(this IServiceCollection services, AutoSyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp => new SyncPlanner(options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AutoSyncService>();
        services.AddHostedService(sp => sp.GetRequiredService<AutoSyncService>());
        return services;
    }
}
