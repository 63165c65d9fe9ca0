using Cluster.Hosting;
using Microsoft.Extensions.Hosting;

namespace Cluster.NodeAgent.Hosting;

internal static class AgentHost
{
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        using var host = CreateBuilder(options).Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }

    // The agent's host as it runs: the node daemon defaults plus everything AddNodeAgent adds.
    public static HostApplicationBuilder CreateBuilder(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = DaemonHosting.CreateNodeDaemonBuilder(options.StateDir, options.DockerHost);
        builder.Services.AddNodeAgent(options);
        return builder;
    }
}
