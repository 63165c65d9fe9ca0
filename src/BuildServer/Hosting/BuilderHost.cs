using Cluster.BuildServer.Git;
using Cluster.BuildServer.Jobs;
using Cluster.BuildServer.Session;
using Cluster.Hosting;
using Cluster.NodeAgent.Identity;
using Cluster.NodeAgent.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.BuildServer.Hosting;

internal static class BuilderHost
{
    public static async Task<int> RunAsync(BuilderOptions options, CancellationToken cancellationToken)
    {
        var builder = DaemonHosting.CreateNodeDaemonBuilder(options.WorkDir, options.DockerHost);
        builder.Services.AddBuilder(options);
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }

    // Everything the builder runs, on top of the node daemon defaults (DockerEngine,
    // EngineWatch, TimeProvider, logging). Identity and enrollment are the agent's own types.
    public static IServiceCollection AddBuilder(this IServiceCollection services, BuilderOptions options)
    {
        var agentOptions = options.ToAgentOptions();
        services.AddSingleton(options);
        services.AddSingleton(agentOptions);
        services.AddSingleton(new IdentityStore(agentOptions.StateDir));
        services.AddSingleton<JoinTokenSource>();
        services.AddSingleton<Enroller>();
        services.AddSingleton<IdentityManager>();
        services.AddSingleton(new GitFetcher());
        services.AddSingleton<BuildRunner>();
        services.AddSingleton<BuilderSession>();
        services.AddSingleton(new SessionBackoff());
        services.AddHostedService<BuilderSessionLoop>();
        return services;
    }
}
