using Cluster.Leader.Storage;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Agents;

// cluster.agent.v1.Dispatcher: the leader's end of an agent session (see agent.proto).
public sealed partial class DispatcherApi(
    NodeAuthenticator auth,
    NodeStore nodes,
    SessionRegistry sessions,
    PrePullReports prePulls,
    TimeProvider time,
    ILogger<DispatcherApi> log) : Dispatcher.DispatcherBase
{
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

        var node = auth.Authenticate(context, "agent");

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

        var role = hello.SwarmRole switch
        {
            SwarmRole.Manager => "manager",
            SwarmRole.Worker => "worker",
            _ => "",
        };
        nodes.UpdateFacts(node.Id, hello.Hostname, hello.SwarmNodeId, role, hello.EngineVersion, hello.Architecture);
        using var session = new AgentSession(node.Id, hello.Hostname, time.GetUtcNow().UtcDateTime, context.CancellationToken)
        {
            Architecture = hello.Architecture,
            SwarmNodeId = hello.SwarmNodeId,
            SwarmRole = role,
        };
        sessions.Open(session);
        var writer = WriteAsync(session, responseStream);
        try
        {
            session.Send(new LeaderMessage
            {
                SessionStarted = new SessionStarted { SessionId = session.Id, NodeId = node.Id, HeartbeatPeriod = Duration.FromTimeSpan(sessions.HeartbeatPeriod) },
            });
            sessions.SendFull(session);
            await ReadAsync(session, requestStream);
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
                    Log.Resync(log, session.NodeId, message.Resync.HeldRevision, message.Resync.Reason);
                    sessions.SendFull(session);
                    break;
                case AgentMessage.KindOneofCase.CredentialCheck:
                    var check = message.CredentialCheck;
                    nodes.RecordCheck(new NodeCheckRecord
                    {
                        Id = $"{session.NodeId}:{check.CredentialId}",
                        NodeId = session.NodeId,
                        CredentialId = check.CredentialId,
                        Revision = (long)check.Revision,
                        Ok = check.Ok,
                        Failure = check.Ok ? "" : check.Failure.ToString(),
                        Message = check.Message,
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
                await responseStream.WriteAsync(message, session.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The session ended; the reader side reports why.
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
    }
}
