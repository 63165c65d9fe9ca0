using System.Threading.Channels;
using Cluster.Core.Docker;
using Cluster.Hosting;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.Engine;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.PrePull;
using Cluster.NodeJoin;
using Cluster.NodeJoin.Housekeeping;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Session;

// One session with the leader, from registration to the first failure (swarmkit's model):
// read the engine, make sure of the identity (joining if needed), open a mutual-TLS stream,
// send Hello, wait for SessionStarted, then heartbeat at the leader's period while applying
// assignment sets, answering each with an Ack or a ResyncRequest, and handing pre-pull and
// check orders to the workers beside the session. Whatever ends any part of it ends all of it
// and is thrown as a SessionFailure; the caller backs off and starts the next one.
internal sealed partial class AgentSession(
    AgentOptions options,
    EngineWatch engineWatch,
    JoinTokenSource tokens,
    IdentityManager identities,
    IDockerEngine engine,
    AssignmentStore store,
    LeaderOutbox outbox,
    CredentialChecker checker,
    PrePuller prePuller,
    ImageHousekeeper housekeeper,
    DockerConfigWriter dockerConfig,
    TimeProvider time,
    ILogger<AgentSession> log) : ISessionRunner
{
    // Used when the leader names no period.
    public static readonly TimeSpan DefaultHeartbeatPeriod = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MinHeartbeatPeriod = TimeSpan.FromMilliseconds(100);

    // A removed node keeps its identity: it never re-joins by itself (the leader would refuse
    // it anyway, by enrollment id and swarm node id), and SessionService stops on Removed.
    public async Task RunAsync(Action onEstablished, CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(onEstablished);
        try
        {
            await RunSessionAsync(onEstablished, stoppingToken);
        }
        catch (SessionFailure failure) when (failure.Kind == SessionFailureKind.IdentityRejected)
        {
            identities.Forget($"the leader at {options.Leader} refused its certificate");
            throw;
        }
    }

    private async Task RunSessionAsync(Action onEstablished, CancellationToken stoppingToken)
    {
        // EngineWatch reports while the engine does not answer; the node's identity comes from
        // the engine, so nothing starts before it has answered once.
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
        using var call = new Dispatcher.DispatcherClient(channel.Channel).Session(cancellationToken: session.Token);
        SessionStarted started;
        try
        {
            try
            {
                await call.RequestStream.WriteAsync(new AgentMessage { Hello = Hello(info) }, session.Token);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                // A leader that refuses the session at once (revoked certificate) may reset the
                // request stream while Hello is being written: its real answer is the status
                // the response carries, which the read below surfaces.
            }

            started = await AwaitStartedAsync(call, session.Token);
        }
        catch (RpcException e) when (!stoppingToken.IsCancellationRequested)
        {
            throw Translate(channel, e);
        }

        onEstablished();
        var period = started.HeartbeatPeriod?.ToTimeSpan() is { } p && p >= MinHeartbeatPeriod ? p : DefaultHeartbeatPeriod;
        Log.Established(log, options.Leader, started.SessionId, started.NodeId.Length > 0 ? started.NodeId : identity.NodeId, period.TotalSeconds, store.Current.Revision);

        var outbound = Channel.CreateUnbounded<AgentMessage>(new UnboundedChannelOptions { SingleReader = true });
        outbox.Attach(outbound.Writer);
        var chain = new AssignmentChain(store);
        Task[] parts =
        [
            ReadAsync(call.ResponseStream, chain, outbound.Writer, session.Token),
            WriteAsync(call.RequestStream, outbound.Reader, session.Token),
            HeartbeatAsync(outbound.Writer, period, session.Token),
            PumpReportsAsync(outbound.Writer, session.Token),
            identities.RunRenewalAsync(identity, session.Token),
        ];
        var first = await Task.WhenAny(parts);
        outbox.Detach(outbound.Writer);
        outbound.Writer.TryComplete();
        await session.CancelAsync();
        try
        {
            await Task.WhenAll(parts);
        }
        catch (Exception)
        {
            // The first part to end says why; the others only followed it.
        }

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

    private Hello Hello(EngineInfo info) => new()
    {
        Hostname = info.Hostname,
        EngineVersion = info.Version,
        SwarmNodeId = info.SwarmNodeId ?? "",
        SwarmRole = info.SwarmNodeId is null ? SwarmRole.Unspecified : info.IsSwarmManager ? SwarmRole.Manager : SwarmRole.Worker,
        Architecture = info.Architecture,
        Os = "linux",
        HeldRevision = store.Current.Revision,
        AgentVersion = AgentVersion.Current,
    };

    private async Task<SessionStarted> AwaitStartedAsync(AsyncDuplexStreamingCall<AgentMessage, LeaderMessage> call, CancellationToken cancellationToken)
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
        return message.KindCase == LeaderMessage.KindOneofCase.SessionStarted
            ? message.SessionStarted
            : throw new SessionFailure(SessionFailureKind.Protocol, $"the leader at {options.Leader} sent {message.KindCase} before session_started");
    }

    private async Task ReadAsync(IAsyncStreamReader<LeaderMessage> stream, AssignmentChain chain, ChannelWriter<AgentMessage> outbound, CancellationToken cancellationToken)
    {
        while (await stream.MoveNext(cancellationToken))
        {
            Handle(stream.Current, chain, outbound);
        }

        throw new SessionFailure(SessionFailureKind.Ended, $"the leader at {options.Leader} closed the session");
    }

    private void Handle(LeaderMessage message, AssignmentChain chain, ChannelWriter<AgentMessage> outbound)
    {
        switch (message.KindCase)
        {
            case LeaderMessage.KindOneofCase.Assignments:
                Apply(message.Assignments, chain, outbound);
                break;
            case LeaderMessage.KindOneofCase.PrePull:
                prePuller.Start(message.PrePull);
                break;
            case LeaderMessage.KindOneofCase.CheckCredentials:
                Log.CheckOrdered(log, message.CheckCredentials.CredentialIds.Count);
                checker.Request(message.CheckCredentials.CredentialIds.ToList());
                break;
            case LeaderMessage.KindOneofCase.PruneImages:
                housekeeper.Request(new PruneOrder(message.PruneImages.KeepPerApp, [.. message.PruneImages.Keep]));
                break;
            default:
                Log.UnexpectedMessage(log, message.KindCase.ToString());
                break;
        }
    }

    private void Apply(AssignmentSet set, AssignmentChain chain, ChannelWriter<AgentMessage> outbound)
    {
        var outcome = chain.Apply(set);
        foreach (var skipped in outcome.Skipped)
        {
            Log.ChangeSkipped(log, set.ResultsIn, skipped);
        }

        switch (outcome.Kind)
        {
            case AssignmentOutcomeKind.Applied:
                var snapshot = store.Current;
                dockerConfig.Apply(snapshot);
                outbound.TryWrite(outcome.Reply!);
                Log.Applied(log, set.Type.ToString(), outcome.Revision, snapshot.Credentials.Count, outcome.ChangedCredentials.Count, outcome.RemovedCredentials.Count, snapshot.Pins.Count);
                if (outcome.ChangedCredentials.Count > 0)
                {
                    checker.Request(outcome.ChangedCredentials.Select(c => c.Id).ToList());
                }

                // A full set re-checks every pin (an image may have been removed meanwhile);
                // presence is one inspect, so this is cheap.
                prePuller.EnsurePinned(set.Type == AssignmentSet.Types.Type.Full ? snapshot.Pins.Values : outcome.ChangedPins);
                break;
            case AssignmentOutcomeKind.ResyncRequested:
                outbound.TryWrite(outcome.Reply!);
                Log.ResyncRequested(log, outcome.Revision, outcome.Reason!);
                break;
            default:
                Log.SetIgnored(log, outcome.Reason!);
                break;
        }
    }

    private static async Task WriteAsync(IClientStreamWriter<AgentMessage> stream, ChannelReader<AgentMessage> outbound, CancellationToken cancellationToken)
    {
        await foreach (var message in outbound.ReadAllAsync(cancellationToken))
        {
            await stream.WriteAsync(OutgoingLimits.Trim(message), cancellationToken);
        }
    }

    private async Task HeartbeatAsync(ChannelWriter<AgentMessage> outbound, TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            outbound.TryWrite(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) } });
        }
    }

    // Reports made beside the session (checks, pre-pull results) go out on it; any left when
    // the session ends wait for the next one.
    private async Task PumpReportsAsync(ChannelWriter<AgentMessage> outbound, CancellationToken cancellationToken)
    {
        while (await outbox.Reports.WaitToReadAsync(cancellationToken))
        {
            while (outbox.Reports.TryRead(out var report))
            {
                if (!outbound.TryWrite(report))
                {
                    outbox.Report(report);
                    return;
                }
            }
        }
    }

    private SessionFailure Translate(LeaderChannel channel, RpcException e)
    {
        // The session has no client deadline: DEADLINE_EXCEEDED is the leader closing a session
        // whose heartbeats it missed (a network cut, or a stalled agent).
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
                $"the leader at {options.Leader} refused this node's certificate ({e.Status.Detail}): the certificate was replaced or the leader's records reset", e),
            StatusCode.Aborted => new(SessionFailureKind.Ended,
                $"the leader at {options.Leader} replaced this session with a newer one of the same node ({e.Status.Detail}); is a second agent running with this identity?", e),
            StatusCode.FailedPrecondition => new(SessionFailureKind.Protocol,
                $"the leader at {options.Leader} rejected the session: {e.Status.Detail}", e),
            StatusCode.Cancelled => new(SessionFailureKind.Ended, $"the leader at {options.Leader} cancelled the session", e),
            _ => new(SessionFailureKind.Other, $"the session with the leader at {options.Leader} failed: {e.StatusCode}: {e.Status.Detail}", e),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(1010, LogLevel.Information, "Session with the leader at {Leader} established (session {SessionId}, node {NodeId}, heartbeat every {Seconds}s, holding revision {Revision})")]
        public static partial void Established(ILogger logger, string leader, string sessionId, string nodeId, double seconds, ulong revision);

        [LoggerMessage(1011, LogLevel.Information, "Applied {Type} assignment set: revision {Revision}, {Credentials} credential(s) held ({Changed} new or changed, {Removed} removed), {Pins} pinned image(s)")]
        public static partial void Applied(ILogger logger, string type, ulong revision, int credentials, int changed, int removed, int pins);

        [LoggerMessage(1012, LogLevel.Warning, "Assignment chain broken at revision {Revision}: {Reason}; asked the leader for a full set")]
        public static partial void ResyncRequested(ILogger logger, ulong revision, string reason);

        [LoggerMessage(1013, LogLevel.Debug, "Assignment set ignored: {Reason}")]
        public static partial void SetIgnored(ILogger logger, string reason);

        [LoggerMessage(1014, LogLevel.Warning, "Assignment set for revision {Revision}: skipped {Change}")]
        public static partial void ChangeSkipped(ILogger logger, ulong revision, string change);

        [LoggerMessage(1015, LogLevel.Information, "The leader asked to check {Count} credential(s) again (0 = all)")]
        public static partial void CheckOrdered(ILogger logger, int count);

        [LoggerMessage(1016, LogLevel.Debug, "Unexpected message from the leader: {Kind}; ignored")]
        public static partial void UnexpectedMessage(ILogger logger, string kind);

    }
}
