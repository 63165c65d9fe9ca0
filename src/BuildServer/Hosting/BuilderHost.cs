using Cluster.BuildServer.Git;
using Cluster.BuildServer.Housekeeping;
using Cluster.BuildServer.Jobs;
using Cluster.BuildServer.Session;
using Cluster.Core.Docker;
using Cluster.Hosting;
using Cluster.NodeJoin;
using Cluster.NodeJoin.Housekeeping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.BuildServer.Hosting;

internal static class BuilderHost
{
    public static async Task<int> RunAsync(BuilderOptions options, CancellationToken cancellationToken)
    {
        using var host = CreateBuilder(options).Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }

    // The builder's host as it runs: the node daemon defaults plus everything AddBuilder adds.
    public static HostApplicationBuilder CreateBuilder(BuilderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = DaemonHosting.CreateNodeDaemonBuilder(options.WorkDir, options.DockerHost);
        builder.Services.AddBuilder(options);
        return builder;
    }

    // Everything the builder runs, on top of the node daemon defaults (DockerEngine,
    // EngineWatch, TimeProvider, logging). Identity and enrollment are src/NodeJoin's, shared with the agent.
    public static IServiceCollection AddBuilder(this IServiceCollection services, BuilderOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<INodeJoinOptions>(options);
        services.AddSingleton(new IdentityStore(options.IdentityDir));
        services.AddSingleton<JoinTokenSource>();
        services.AddSingleton<Enroller>();
        services.AddSingleton<IdentityManager>();
        services.AddSingleton(new GitFetcher());
        services.AddSingleton<IDockerEngine>(sp => sp.GetRequiredService<DockerEngine>());
        services.AddSingleton<BuildActivity>();
        services.AddSingleton<BuildRunner>();
        services.AddSingleton(sp => BuilderHousekeeping.Setup(sp.GetRequiredService<BuildActivity>()));
        services.AddSingleton<ImageHousekeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ImageHousekeeper>());
        services.AddSingleton<BuilderSession>();
        services.AddSingleton(new SessionBackoff());
        services.AddHostedService<BuilderSessionLoop>();
        return services;
    }
}
