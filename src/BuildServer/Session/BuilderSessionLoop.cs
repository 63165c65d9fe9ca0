using Cluster.BuildServer.Hosting;
using Cluster.Hosting;
using Cluster.NodeJoin;
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
    public static readonly TimeSpan DuplicateRetry = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Log.Starting(log, options.Leader, options.WorkDir, options.Parallelism);
        try
        {
            while (true)
            {
                string reason;
                var kind = SessionFailureKind.Other;
                try
                {
                    await session.RunAsync(backoff.Reset, stoppingToken);
                    reason = "the session ended";
                }
                catch (SessionFailure failure)
                {
                    (kind, reason) = (failure.Kind, failure.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    reason = "unexpected failure: " + DaemonCommandLine.Describe(e);
                }

                // As the agent: a removed builder says so once and makes no further calls until
                // restarted (after `clusterctl node readmit`); a duplicate is retried rarely, so two
                // builders with one identity never replace each other's sessions in a loop.
                if (kind == SessionFailureKind.Removed)
                {
                    Log.Removed(log, reason);
                    await Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken);
                }

                var delay = kind == SessionFailureKind.Duplicate ? DuplicateRetry : backoff.Next();
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

        [LoggerMessage(2003, LogLevel.Error, "This builder was removed from the cluster: {Reason}; it stays idle until restarted after `clusterctl node readmit`")]
        public static partial void Removed(ILogger logger, string reason);
    }
}
