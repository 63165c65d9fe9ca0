using System.Collections.Concurrent;
using System.Threading.Channels;
using Cluster.BuildServer.Hosting;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Docker;
using Cluster.Hosting;
using Cluster.NodeJoin;
using Cluster.NodeJoin.Housekeeping;
using Cluster.Protos.Build.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.BuildServer.Session;

// One session with the leader's BuildDispatcher, from registration to the first failure: make
// sure of the identity (joining as a builder with src/NodeJoin, the agent's enrollment code), open a
// mutual-TLS stream, send hello, wait for session_started, then heartbeat while running the
// jobs the leader sends (at most Parallelism at once), streaming each job's log lines and
// ending it with one BuildResult. A job belongs to its session: when the session ends, its
// running jobs are cancelled (nothing is pushed after that), and the leader fails their
// deployments before any service is touched.
internal sealed partial class BuilderSession(
    BuilderOptions options,
    EngineWatch engineWatch,
    JoinTokenSource tokens,
    IdentityManager identities,
    DockerEngine engine,
    BuildRunner runner,
    ImageHousekeeper housekeeper,
    TimeProvider time,
    ILogger<BuilderSession> log)
{
    private static readonly TimeSpan DefaultHeartbeatPeriod = TimeSpan.FromSeconds(5);

    // One branch-head check (git ls-remote) is given up after this.
    private static readonly TimeSpan HeadCheckBound = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _jobs = new(StringComparer.Ordinal);

    public async Task RunAsync(Action onEstablished, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(onEstablished);
        try
        {
            await RunSessionAsync(onEstablished, stoppingToken);
        }
        catch (SessionFailure failure) when (failure.Kind == SessionFailureKind.IdentityRejected)
        {
            identities.Forget($"the leader at {options.Leader} refused the builder's certificate");
            throw;
        }
    }

    private async Task RunSessionAsync(Action onEstablished, CancellationToken stoppingToken)
    {
        await engineWatch.Info.WaitAsync(stoppingToken);
        var token = tokens.Current();
        EngineInfo info;
        try
        {
            info = await engine.GetInfoAsync(stoppingToken);
        }
        catch (DockerOperationException e)
        {
            throw new SessionFailure(SessionFailureKind.Engine, e.Detail, e);
        }

        var identity = await identities.AcquireAsync(token, info, stoppingToken);
        using var channel = LeaderChannel.Open(options, identity.CaFingerprint, identity.Certificate);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var client = new BuildDispatcher.BuildDispatcherClient(channel.Channel);
        using var call = client.Session(cancellationToken: session.Token);
        BuilderSessionStarted started;
        try
        {
            try
            {
                await call.RequestStream.WriteAsync(new BuilderMessage { Hello = Hello(info) }, session.Token);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // A refusal resets the stream while hello is written; the read below says why.
            }

            started = await AwaitStartedAsync(call, session.Token);
        }
        catch (RpcException e) when (!stoppingToken.IsCancellationRequested)
        {
            throw Translate(channel, e);
        }

        onEstablished();
        var period = started.HeartbeatPeriod?.ToTimeSpan() is { } p && p >= TimeSpan.FromMilliseconds(100) ? p : DefaultHeartbeatPeriod;
        Log.Established(log, options.Leader, started.SessionId, started.NodeId, period.TotalSeconds);

        var outbound = Channel.CreateUnbounded<BuilderMessage>(new UnboundedChannelOptions { SingleReader = true });
        var jobs = new List<Task>();
        Task[] parts =
        [
            ReadAsync(client, call.ResponseStream, outbound.Writer, jobs, session.Token),
            WriteAsync(call.RequestStream, outbound.Reader, session.Token),
            HeartbeatAsync(outbound.Writer, period, session.Token),
            identities.RunRenewalAsync(identity, session.Token),
        ];
        var first = await Task.WhenAny(parts);
        await session.CancelAsync();
        foreach (var job in _jobs.Values)
        {
            await job.CancelAsync();
        }

        try
        {
            await Task.WhenAll(parts);
        }
        catch (Exception)
        {
            // The first part to end says why.
        }

        await Task.WhenAll(jobs.ToArray());
        outbound.Writer.TryComplete();
        stoppingToken.ThrowIfCancellationRequested();
        throw first.Exception?.InnerException switch
        {
            SessionFailure failure => failure,
            RpcException e => Translate(channel, e),
            OperationCanceledException => new SessionFailure(SessionFailureKind.Other, "the session was cancelled"),
            { } other => new SessionFailure(SessionFailureKind.Other, $"the session failed: {other.Message}", other),
            null => new SessionFailure(SessionFailureKind.Ended, $"the session with the leader at {options.Leader} ended"),
        };
    }

    private BuilderHello Hello(EngineInfo info) => new()
    {
        Hostname = info.Hostname,
        EngineVersion = info.Version,
        SwarmNodeId = info.SwarmNodeId ?? "",
        Architecture = info.Architecture,
        Parallelism = (uint)options.Parallelism,
    };

    private async Task<BuilderSessionStarted> AwaitStartedAsync(AsyncDuplexStreamingCall<BuilderMessage, BuildOrder> call, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.SessionStartTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        bool any;
        try
        {
            any = await call.ResponseStream.MoveNext(linked.Token);
        }
        catch (Exception e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested &&
            e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            throw new SessionFailure(SessionFailureKind.Protocol,
                $"the leader at {options.Leader} accepted the session but sent no session_started within {options.SessionStartTimeout.TotalSeconds:0}s", e);
        }

        if (!any)
        {
            throw new SessionFailure(SessionFailureKind.Ended, $"the leader at {options.Leader} closed the session before starting it");
        }

        var message = call.ResponseStream.Current;
        return message.KindCase == BuildOrder.KindOneofCase.SessionStarted
            ? message.SessionStarted
            : throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} sent {message.KindCase} before session_started");
    }

    private async Task ReadAsync(BuildDispatcher.BuildDispatcherClient client, IAsyncStreamReader<BuildOrder> stream, ChannelWriter<BuilderMessage> outbound, List<Task> jobs, CancellationToken cancellationToken)
    {
        while (await stream.MoveNext(cancellationToken))
        {
            var order = stream.Current;
            switch (order.KindCase)
            {
                case BuildOrder.KindOneofCase.Job:
                    jobs.Add(RunJobAsync(client, order.Job, outbound, cancellationToken));
                    break;
                case BuildOrder.KindOneofCase.HeadCheck:
                    // Cheap (one ls-remote), so it takes no build slot; off the read loop all the same.
                    var check = order.HeadCheck;
                    jobs.Add(Task.Run(async () => outbound.TryWrite(new BuilderMessage { Head = OutgoingLimits.Head(await runner.CheckHeadAsync(check, HeadCheckBound, cancellationToken)) }), CancellationToken.None));
                    break;
                case BuildOrder.KindOneofCase.Cancel:
                    if (_jobs.TryGetValue(order.Cancel.JobId, out var cts))
                    {
                        Log.Cancelling(log, order.Cancel.JobId, order.Cancel.Reason);
                        await cts.CancelAsync();
                    }

                    break;
                case BuildOrder.KindOneofCase.PruneImages:
                    housekeeper.Request(new PruneOrder(order.PruneImages.KeepPerApp, [.. order.PruneImages.Keep]));
                    break;
                default:
                    break;
            }
        }

        throw new SessionFailure(SessionFailureKind.Ended, $"the leader at {options.Leader} closed the session");
    }

    private async Task RunJobAsync(BuildDispatcher.BuildDispatcherClient client, BuildJob job, ChannelWriter<BuilderMessage> outbound, CancellationToken sessionToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);
        if (job.Deadline is { } deadline)
        {
            var left = deadline.ToDateTimeOffset() - time.GetUtcNow();
            cts.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        if (!_jobs.TryAdd(job.JobId, cts))
        {
            return;
        }

        try
        {
            // Off the read loop: a build runs for minutes.
            var result = await Task.Run(
                () => runner.RunAsync(
                    job,
                    line => outbound.TryWrite(OutgoingLimits.Log(job.JobId, line)),
                    (destination, ct) => FetchContextAsync(client, job.JobId, destination, ct),
                    cts.Token),
                CancellationToken.None);
            outbound.TryWrite(OutgoingLimits.Result(result));
        }
        finally
        {
            _jobs.TryRemove(job.JobId, out _);
        }
    }

    // The uploaded folder of a running job, streamed from the leader on the session's channel
    // (its own call, so a large folder never holds up heartbeats or other jobs' orders).
    private static async Task FetchContextAsync(BuildDispatcher.BuildDispatcherClient client, string jobId, Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            using var call = client.FetchContext(new FetchContextRequest { JobId = jobId }, cancellationToken: cancellationToken);
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                await destination.WriteAsync(chunk.Data.Memory, cancellationToken);
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"{e.StatusCode}: {e.Status.Detail}", e);
        }
    }

    private static async Task WriteAsync(IClientStreamWriter<BuilderMessage> stream, ChannelReader<BuilderMessage> outbound, CancellationToken cancellationToken)
    {
        await foreach (var message in outbound.ReadAllAsync(cancellationToken))
        {
            await stream.WriteAsync(message, cancellationToken);
        }
    }

    private async Task HeartbeatAsync(ChannelWriter<BuilderMessage> outbound, TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            outbound.TryWrite(new BuilderMessage { Heartbeat = new BuilderHeartbeat { SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) } });
        }
    }

    private SessionFailure Translate(LeaderChannel channel, RpcException e)
    {
        if (e.StatusCode == StatusCode.DeadlineExceeded && channel.TlsRejection is null)
        {
            return new(SessionFailureKind.Ended, $"the leader at {options.Leader} closed the session: {e.Status.Detail}", e);
        }

        if (channel.Classify(e) is { } common)
        {
            return common;
        }

        if (RefusalFailure.From(e, options.Leader) is { } refused)
        {
            return refused;
        }

        return e.StatusCode switch
        {
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => new(SessionFailureKind.IdentityRejected,
                $"the leader at {options.Leader} refused this builder's certificate ({e.Status.Detail}): the certificate was replaced or the leader's records reset", e),
            StatusCode.Aborted => new(SessionFailureKind.Ended,
                $"the leader at {options.Leader} replaced this session with a newer one ({e.Status.Detail}); is a second builder running with this work dir?", e),
            _ => new(SessionFailureKind.Other, $"the session with the leader at {options.Leader} failed: {e.StatusCode}: {e.Status.Detail}", e),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Information, "Builder session with the leader at {Leader} established (session {SessionId}, node {NodeId}, heartbeat every {Seconds}s)")]
        public static partial void Established(ILogger logger, string leader, string sessionId, string nodeId, double seconds);

        [LoggerMessage(2011, LogLevel.Information, "Cancelling build {JobId}: {Reason}")]
        public static partial void Cancelling(ILogger logger, string jobId, string reason);
    }
}
