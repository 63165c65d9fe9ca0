using Cluster.Hosting;
using Microsoft.Extensions.Hosting;

namespace Cluster.NodeAgent.Hosting;

internal static class AgentHost
{
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        var builder = DaemonHosting.CreateNodeDaemonBuilder(options.StateDir, options.DockerHost);
        builder.Services.AddNodeAgent(options);
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
