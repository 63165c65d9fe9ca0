using Cluster.Core.Docker;
using Cluster.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cluster.Leader.Hosting;

// Composition root of the leader: one Kestrel endpoint (HTTP/2) carrying every gRPC API, plus
// the standard health and reflection services so grpcurl and load balancers work.
internal static partial class LeaderHost
{
    public static async Task<int> RunAsync(LeaderOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.DataDir });
        builder.AddDaemonDefaults();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new DockerEngine(options.DockerHost));
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(options.Listen, listen => listen.Protocols = HttpProtocols.Http2));

        await using var app = builder.Build();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cluster.Leader");
        app.Lifetime.ApplicationStarted.Register(() => Log.Started(log, options.Listen.ToString(), options.DataDir));
        app.Lifetime.ApplicationStopping.Register(() => Log.Stopping(log));
        await ProbeEngineAsync(app.Services.GetRequiredService<DockerEngine>(), log, cancellationToken);

        await app.RunAsync();
        return 0;
    }

    // The leader works through the local engine's swarm API; say at start what it found so a
    // wrong --docker-host or a non-manager node is visible at once, not at the first deployment.
    private static async Task ProbeEngineAsync(DockerEngine engine, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var info = await engine.GetInfoAsync(timeout.Token);
            if (info.IsSwarmManager)
            {
                Log.EngineManager(log, engine.Endpoint.ToString(), info.Hostname, info.Version, info.SwarmNodeId!);
            }
            else
            {
                Log.EngineNotManager(log, engine.Endpoint.ToString(), info.Hostname);
            }
        }
        catch (Exception e) when (e is DockerOperationException or OperationCanceledException)
        {
            Log.EngineUnavailable(log, engine.Endpoint.ToString(), e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "cluster-leader listening on {Listen}, data in {DataDir}")]
        public static partial void Started(ILogger logger, string listen, string dataDir);

        [LoggerMessage(2, LogLevel.Information, "cluster-leader stopping")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(3, LogLevel.Information, "Docker engine {Endpoint} ({Hostname}, {Version}) is a swarm manager, node {SwarmNodeId}")]
        public static partial void EngineManager(ILogger logger, string endpoint, string hostname, string version, string swarmNodeId);

        [LoggerMessage(4, LogLevel.Warning, "Docker engine {Endpoint} ({Hostname}) is not a swarm manager; deployments need `docker swarm init` on this node")]
        public static partial void EngineNotManager(ILogger logger, string endpoint, string hostname);

        [LoggerMessage(5, LogLevel.Warning, "Docker engine {Endpoint} is not available: {Reason}")]
        public static partial void EngineUnavailable(ILogger logger, string endpoint, string reason);
    }
}
