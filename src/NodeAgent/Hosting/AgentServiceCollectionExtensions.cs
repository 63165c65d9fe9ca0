using Cluster.Core.Docker;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.Housekeeping;
using Cluster.NodeAgent.PrePull;
using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;
using Cluster.NodeJoin.Housekeeping;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.NodeAgent.Hosting;

internal static class AgentServiceCollectionExtensions
{
    // Everything the agent runs, on top of the node daemon defaults (DockerEngine, EngineWatch,
    // TimeProvider, logging, systemd).
    public static IServiceCollection AddNodeAgent(this IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<INodeJoinOptions>(options);
        services.AddSingleton<IDockerEngine>(sp => sp.GetRequiredService<DockerEngine>());

        services.AddSingleton(new IdentityStore(options.StateDir));
        services.AddSingleton<JoinTokenSource>();
        services.AddSingleton<Enroller>();
        services.AddSingleton<IdentityManager>();

        services.AddSingleton<AssignmentStore>();
        services.AddSingleton<LeaderOutbox>();
        services.AddSingleton<KeyringPuller>();

        // Hosted in registration order: the docker config clean-up runs before the first
        // session; the workers exist before the session hands them anything.
        services.AddSingleton<DockerConfigWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<DockerConfigWriter>());
        services.AddSingleton<CredentialChecker>();
        services.AddHostedService(sp => sp.GetRequiredService<CredentialChecker>());
        services.AddSingleton<PrePuller>();
        services.AddHostedService(sp => sp.GetRequiredService<PrePuller>());
        services.AddHostedService<PinKeeper>();
        services.AddSingleton(sp => NodeHousekeeping.Setup(sp.GetRequiredService<AssignmentStore>()));
        services.AddSingleton<ImageHousekeeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ImageHousekeeper>());

        services.AddSingleton<ISessionRunner, AgentSession>();
        services.AddSingleton(new SessionBackoff());
        services.AddSingleton<SessionService>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionService>());
        return services;
    }
}
