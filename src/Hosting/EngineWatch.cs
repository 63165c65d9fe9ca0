using Cluster.Core.Docker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Hosting;

// Waits for the local Docker engine and reports what it is (name, version, swarm node and
// role), retrying with capped backoff while it does not answer. Agents and builders read their
// identity from the engine, not the OS: several engines may share one kernel.
public sealed partial class EngineWatch(DockerEngine engine, ILogger<EngineWatch> log, TimeProvider time) : BackgroundService
{
    private readonly TaskCompletionSource<EngineInfo> _info = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Completes once the engine has answered.
    public Task<EngineInfo> Info => _info.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var info = await engine.GetInfoAsync(stoppingToken);
                EngineReady(log, engine.Endpoint.ToString(), info.Hostname, info.Version, info.SwarmNodeId ?? "(none)", info.IsSwarmManager ? "manager" : "worker");
                _info.TrySetResult(info);
                return;
            }
            catch (DockerOperationException e)
            {
                EngineUnavailable(log, engine.Endpoint.ToString(), e.Detail, delay.TotalSeconds);
            }

            await Task.Delay(delay, time, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
        }
    }

    [LoggerMessage(100, LogLevel.Information, "Docker engine {Endpoint}: {Hostname}, version {Version}, swarm node {SwarmNodeId} ({Role})")]
    private static partial void EngineReady(ILogger logger, string endpoint, string hostname, string version, string swarmNodeId, string role);

    [LoggerMessage(101, LogLevel.Warning, "Docker engine {Endpoint} not answering ({Reason}); retrying in {Seconds}s")]
    private static partial void EngineUnavailable(ILogger logger, string endpoint, string reason, double seconds);
}
