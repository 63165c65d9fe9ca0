using Cluster.Leader.Operations;
using Cluster.Leader.Storage;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Agents;

// cluster.agent.v1.Dispatcher: the leader's end of an agent session (see agent.proto).
//
// What an agent sends is checked before anything is stored or logged (AgentLimits): a field over
// its cap, a message flood (more than MessageBurst beyond MessagesPerSecond) or an agent that
// does not read its stream (AgentSession's bounded outbox) ends that session only; re-sync
// requests are answered at most once per ResyncInterval (extras are ignored); a check report
// for a credential this session was never sent is refused. The node's swarm identity is the one
// bound at enrollment (NodeStore.BindSwarm), checked against the swarm.
public sealed partial class DispatcherApi(
    NodeAuthenticator auth,
    NodeStore nodes,
    SessionRegistry sessions,
    PrePullReports prePulls,
    SwarmMembership swarm,
    TimeProvider time,
    ILogger<DispatcherApi> log) : Dispatcher.DispatcherBase
{
    public const double MessagesPerSecond = 50;

    public const double MessageBurst = 500;

    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan HelloDeadline = TimeSpan.FromSeconds(10);

    public override async Task Session(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<LeaderMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (sessions.ShuttingDown)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the leader is shutting down; reconnect"));
        }

        var node = auth.Authenticate(context.GetHttpContext().Connection.ClientCertificate, "agent");

        Hello hello;
        using (var helloWait = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken))
        {
            helloWait.CancelAfter(HelloDeadline);
            if (!await requestStream.MoveNext(helloWait.Token) || requestStream.Current.KindCase != AgentMessage.KindOneofCase.Hello)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "the first message of a session must be hello"));
            }

            hello = requestStream.Current.Hello;
        }

        CheckHello(hello);
        var bound = await swarm.BindSessionAsync(node, hello.SwarmNodeId, sessions.IsLive, context.CancellationToken);
        if (bound.Node is null)
        {
            Log.SessionRefused(log, node.Id, bound.Refusal!, bound.Detail);
            throw bound.ToException();
        }

        var role = hello.SwarmRole switch
        {
            SwarmRole.Manager => "manager",
            SwarmRole.Worker => "worker",
            _ => "",
        };
        using var session = new AgentSession(node.Id, hello.Hostname, time.GetUtcNow().UtcDateTime, context.CancellationToken)
        {
            Architecture = hello.Architecture,
            SwarmNodeId = hello.SwarmNodeId,
            SwarmRole = role,
        };
        if (!sessions.TryOpen(session))
        {
            throw NodeRefusal.Create(NodeRefusal.DuplicateSession,
                $"node {node.Id}'s sessions keep replacing each other: two agents present this node's identity (a copied state dir?); run one agent per state dir", node.Id);
        }

        nodes.UpdateFacts(node.Id, hello.Hostname, role, hello.EngineVersion, hello.Architecture);
        var writer = WriteAsync(session, responseStream);
        try
        {
            session.Send(new LeaderMessage
            {
                SessionStarted = new SessionStarted { SessionId = session.Id, NodeId = node.Id, HeartbeatPeriod = Duration.FromTimeSpan(sessions.HeartbeatPeriod) },
            });
            sessions.SendInitial(session, (long)Math.Min(hello.HeldRevision, long.MaxValue));
            await ReadAsync(session, requestStream);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.ResourceExhausted)
        {
            Log.SessionDropped(log, node.Id, AgentLimits.Printable(session.Hostname), e.Status.Detail);
            throw;
        }
        catch (OperationException e) when (e.Error is OperationError.InvalidArgument)
        {
            // A field over its cap (AgentLimits).
            Log.SessionDropped(log, node.Id, AgentLimits.Printable(session.Hostname), e.Message);
            throw;
        }
        catch (OperationCanceledException) when (session.Overflowed)
        {
            Log.SessionDropped(log, node.Id, AgentLimits.Printable(session.Hostname), "the agent does not read its stream (outbox full)");
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "this session was dropped: the agent did not read what the leader sent; reconnect"));
        }
        catch (OperationCanceledException) when (sessions.ShuttingDown)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the leader is shutting down; reconnect"));
        }
        catch (OperationCanceledException) when (session.Replaced)
        {
            throw new RpcException(new Status(StatusCode.Aborted, "a newer session of this node replaced this one"));
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            Log.HeartbeatsMissed(log, node.Id, session.Hostname);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no heartbeat for {sessions.DownAfter.TotalSeconds:0} s; reconnect"));
        }
        finally
        {
            sessions.Close(session);
            nodes.SessionEnded(node.Id, session.LastHeartbeat, session.AckedRevision);
            await writer;
        }
    }

    private async Task ReadAsync(AgentSession session, IAsyncStreamReader<AgentMessage> requestStream)
    {
        var budget = MessageBurst;
        var refill = time.GetTimestamp();
        var unknownReported = false;
        while (true)
        {
            // Three missed heartbeats end the session: the node is down until it reconnects.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
            wait.CancelAfter(sessions.DownAfter);
            if (!await requestStream.MoveNext(wait.Token))
            {
                return;
            }

            var message = requestStream.Current;
            budget = Math.Min(MessageBurst, budget + (time.GetElapsedTime(refill).TotalSeconds * MessagesPerSecond));
            refill = time.GetTimestamp();
            if (--budget < 0)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"more than {MessagesPerSecond:0} messages per second (burst {MessageBurst:0}); session dropped"));
            }

            CheckMessage(message);
            switch (message.KindCase)
            {
                case AgentMessage.KindOneofCase.Heartbeat:
                    session.LastHeartbeat = time.GetUtcNow().UtcDateTime;
                    break;
                case AgentMessage.KindOneofCase.Ack:
                    session.LastHeartbeat = time.GetUtcNow().UtcDateTime;
                    session.AckedRevision = Math.Max(session.AckedRevision, (long)message.Ack.Revision);
                    Log.Acked(log, session.NodeId, message.Ack.Revision);
                    break;
                case AgentMessage.KindOneofCase.Resync:
                    // At most one full set per ResyncInterval: the one sent answers every request
                    // made before it arrives, so extras are ignored, not queued.
                    var now = time.GetUtcNow().UtcDateTime;
                    if (now - session.LastResyncAnswered < ResyncInterval)
                    {
                        break;
                    }

                    session.LastResyncAnswered = now;
                    Log.Resync(log, session.NodeId, message.Resync.HeldRevision, AgentLimits.Printable(message.Resync.Reason));
                    sessions.SendFull(session);
                    break;
                case AgentMessage.KindOneofCase.CredentialCheck:
                    var check = message.CredentialCheck;
                    bool known;
                    lock (session.Sync)
                    {
                        known = session.SentCredentials.Contains(check.CredentialId);
                    }

                    if (!known)
                    {
                        // A credential this session never received (or no longer holds): not
                        // stored, so no agent can plant reports for credentials it does not have.
                        if (!unknownReported)
                        {
                            unknownReported = true;
                            Log.UnknownCredential(log, session.NodeId, check.CredentialId);
                        }

                        break;
                    }

                    nodes.RecordCheck(new NodeCheckRecord
                    {
                        Id = $"{session.NodeId}:{check.CredentialId}",
                        NodeId = session.NodeId,
                        CredentialId = check.CredentialId,
                        Revision = (long)check.Revision,
                        Ok = check.Ok,
                        Failure = check.Ok ? "" : check.Failure.ToString(),
                        Message = AgentLimits.Printable(check.Message),
                        CheckedAt = check.CheckedAt?.ToDateTime() ?? time.GetUtcNow().UtcDateTime,
                    });
                    break;
                case AgentMessage.KindOneofCase.PrePullProgress:
                case AgentMessage.KindOneofCase.PrePullResult:
                    prePulls.Route(message);
                    break;
                default:
                    break;
            }
        }
    }

    private static async Task WriteAsync(AgentSession session, IServerStreamWriter<LeaderMessage> responseStream)
    {
        try
        {
            await foreach (var message in session.Outbox.ReadAllAsync(session.Token))
            {
                session.Dequeued(message);
                await responseStream.WriteAsync(message, session.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The session ended; the reader side reports why.
        }
    }

    private static void CheckHello(Hello hello)
    {
        AgentLimits.RequireHostname(hello.Hostname);
        AgentLimits.CheckShort("engine_version", hello.EngineVersion);
        AgentLimits.CheckId("swarm_node_id", hello.SwarmNodeId);
        AgentLimits.CheckShort("architecture", hello.Architecture);
        AgentLimits.CheckShort("os", hello.Os);
        AgentLimits.CheckShort("agent_version", hello.AgentVersion);
    }

    private static void CheckMessage(AgentMessage message)
    {
        switch (message.KindCase)
        {
            case AgentMessage.KindOneofCase.Resync:
                AgentLimits.CheckText("resync.reason", message.Resync.Reason);
                break;
            case AgentMessage.KindOneofCase.CredentialCheck:
                AgentLimits.RequireId("credential_check.credential_id", message.CredentialCheck.CredentialId);
                AgentLimits.CheckText("credential_check.message", message.CredentialCheck.Message);
                break;
            case AgentMessage.KindOneofCase.PrePullProgress:
                AgentLimits.RequireId("pre_pull_progress.order_id", message.PrePullProgress.OrderId);
                AgentLimits.CheckText("pre_pull_progress.status", message.PrePullProgress.Status);
                break;
            case AgentMessage.KindOneofCase.PrePullResult:
                var result = message.PrePullResult;
                AgentLimits.RequireId("pre_pull_result.order_id", result.OrderId);
                AgentLimits.CheckText("pre_pull_result.message", result.Message);
                AgentLimits.CheckId("pre_pull_result.image_id", result.ImageId);
                AgentLimits.CheckCount("pre_pull_result.attempts", result.Attempts.Count, AgentLimits.MaxAttempts);
                foreach (var attempt in result.Attempts)
                {
                    AgentLimits.CheckText("pre_pull_result.attempts[]", attempt);
                }

                break;
            case AgentMessage.KindOneofCase.Hello:
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "hello is sent once, first"));
            default:
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(610, LogLevel.Debug, "node {NodeId} acknowledged credential revision {Revision}")]
        public static partial void Acked(ILogger logger, string nodeId, ulong revision);

        [LoggerMessage(611, LogLevel.Information, "node {NodeId} asked to re-sync from revision {Revision}: {Reason}")]
        public static partial void Resync(ILogger logger, string nodeId, ulong revision, string reason);

        [LoggerMessage(612, LogLevel.Warning, "node {NodeId} ({Hostname}) missed 3 heartbeats: marked down, session closed")]
        public static partial void HeartbeatsMissed(ILogger logger, string nodeId, string hostname);

        [LoggerMessage(613, LogLevel.Warning, "session of node {NodeId} ({Hostname}) dropped: {Reason}")]
        public static partial void SessionDropped(ILogger logger, string nodeId, string hostname, string reason);

        [LoggerMessage(614, LogLevel.Warning, "node {NodeId} reported a check of credential {CredentialId}, which its session was never sent: refused, not stored (said once per session)")]
        public static partial void UnknownCredential(ILogger logger, string nodeId, string credentialId);

        [LoggerMessage(615, LogLevel.Warning, "session of node {NodeId} refused ({Refusal}): {Detail}")]
        public static partial void SessionRefused(ILogger logger, string nodeId, string refusal, string detail);
    }
}
