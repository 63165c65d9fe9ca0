using Cluster.BuildServer.Hosting;
using Cluster.Hosting;
using Cluster.NodeAgent.Session;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.BuildServer.Session;

// The builder's main loop, as the agent's: one iteration is one session; whatever ends it is
// logged in one line and the next starts after the agent's jittered backoff (100 ms doubling to
// 8 s, reset once established). Stops only when the host stops.
internal sealed partial class BuilderSessionLoop(
    BuilderSession session,
    SessionBackoff backoff,
    BuilderOptions options,
    TimeProvider time,
    ILogger<BuilderSessionLoop> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(log, options.Leader, options.WorkDir, options.Parallelism);
        try
        {
            while (true)
            {
                string reason;
                try
                {
                    await session.RunAsync(backoff.Reset, stoppingToken);
                    reason = "the session ended";
                }
                catch (SessionFailure failure)
                {
                    reason = failure.Message;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    reason = "unexpected failure: " + DaemonCommandLine.Describe(e);
                }

                var delay = backoff.Next();
                Log.SessionEnded(log, reason, Math.Round(delay.TotalMilliseconds));
                await Task.Delay(delay, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Log.Stopping(log);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2000, LogLevel.Information, "cluster-builder starting: leader {Leader}, work dir {WorkDir}, {Parallelism} job(s) at a time")]
        public static partial void Starting(ILogger logger, string leader, string workDir, int parallelism);

        [LoggerMessage(2001, LogLevel.Information, "cluster-builder stopping")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(2002, LogLevel.Warning, "No session: {Reason}; next try in {Milliseconds} ms")]
        public static partial void SessionEnded(ILogger logger, string reason, double milliseconds);
    }
}
