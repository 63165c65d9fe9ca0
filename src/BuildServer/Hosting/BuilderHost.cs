using Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.BuildServer.Hosting;

internal static class BuilderHost
{
    public static async Task<int> RunAsync(BuilderOptions options, CancellationToken cancellationToken)
    {
        var builder = DaemonHosting.CreateNodeDaemonBuilder(options.WorkDir, options.DockerHost);
        builder.Services.AddSingleton(options);
        using var host = builder.Build();
        await host.RunAsync(cancellationToken);
        return 0;
    }
}
