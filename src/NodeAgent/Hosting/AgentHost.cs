using Cluster.Core.Docker;
using Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.NodeAgent.Hosting;

internal static class AgentHost
{
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = options.StateDir });
        builder.AddDaemonDefaults();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new DockerEngine(options.DockerHost));
        builder.Services.AddHostedService<EngineWatch>();
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
