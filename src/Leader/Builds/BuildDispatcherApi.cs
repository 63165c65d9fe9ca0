using Cluster.Leader.Agents;
using Cluster.Protos.Build.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Builds;

// cluster.build.v1.BuildDispatcher: the leader's end of a builder session (see build.proto).
// Only a certificate enrolled with role builder may open one (an agent's certificate is
// refused), so the push credential inside a job can only reach a build server. A builder joins
// with the join token like an agent, so what it sends is bounded like what an agent sends:
// messages up to MaxMessageBytes (LeaderHost), hello checked by AgentLimits, log lines by
// PendingBuild. Its hello's swarm node id is checked like an agent's (SwarmMembership): only
// the swarm node it was bound to at enrollment, so no builder can pose as the one on the
// leader's node and receive registry-less builds; a second live builder on one swarm node is
// refused.
public sealed partial class BuildDispatcherApi(
    NodeAuthenticator auth,
    NodeStore nodes,
    BuilderRegistry builders,
    SwarmMembership swarm,
    AgentOptions options,
    TimeProvider time,
    ILogger<BuildDispatcherApi> log) : BuildDispatcher.BuildDispatcherBase
{
    // Largest message a builder may send: a result carries up to 15 last lines of 1024
    // characters and an error, so it is a little above the agents' 64 KiB.
    public const int MaxMessageBytes = 256 * 1024;

    private static readonly TimeSpan HelloDeadline = TimeSpan.FromSeconds(10);

    private TimeSpan DownAfter => options.HeartbeatPeriod * 3;

    public override async Task Session(IAsyncStreamReader<BuilderMessage> requestStream, IServerStreamWriter<BuildOrder> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (builders.ShuttingDown)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the leader is shutting down; reconnect"));
        }

        var node = auth.Authenticate(context.GetHttpContext().Connection.ClientCertificate, "builder");
        BuilderHello hello;
        using (var helloWait = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken))
        {
            helloWait.CancelAfter(HelloDeadline);
            if (!await requestStream.MoveNext(helloWait.Token) || requestStream.Current.KindCase != BuilderMessage.KindOneofCase.Hello)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "the first message of a builder session must be hello"));
            }

            hello = requestStream.Current.Hello;
        }

        // Stored and shown in `node list`: checked like an agent's facts, before anything keeps them.
        AgentLimits.RequireHostname(hello.Hostname);
        AgentLimits.CheckId("swarm_node_id", hello.SwarmNodeId);
        AgentLimits.CheckShort("engine_version", hello.EngineVersion);
        AgentLimits.CheckShort("architecture", hello.Architecture);

        var bound = await swarm.BindSessionAsync(node, hello.SwarmNodeId, id => builders.Find(id) is not null, context.CancellationToken);
        if (bound.Node is null)
        {
            Log.SessionRefused(log, node.Id, bound.Refusal!, bound.Detail);
            throw bound.ToException();
        }

        nodes.UpdateFacts(node.Id, hello.Hostname, "", hello.EngineVersion, hello.Architecture);
        using var session = new BuilderConnection(node.Id, hello.Hostname, hello.SwarmNodeId, (int)Math.Max(1, hello.Parallelism), time.GetUtcNow().UtcDateTime, context.CancellationToken);
        builders.Open(session);
        var writer = WriteAsync(session, responseStream);
        try
        {
            session.Send(new BuildOrder
            {
                SessionStarted = new BuilderSessionStarted { SessionId = session.Id, NodeId = node.Id, HeartbeatPeriod = Duration.FromTimeSpan(options.HeartbeatPeriod) },
            });
            await ReadAsync(session, requestStream);
        }
        catch (OperationCanceledException) when (builders.ShuttingDown)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the leader is shutting down; reconnect"));
        }
        catch (OperationCanceledException) when (session.Replaced)
        {
            throw new RpcException(new Status(StatusCode.Aborted, "a newer session of this build server replaced this one"));
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            Log.HeartbeatsMissed(log, node.Id, session.Hostname);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no heartbeat for {DownAfter.TotalSeconds:0} s; reconnect"));
        }
        finally
        {
            builders.Close(session);
            nodes.SessionEnded(node.Id, session.LastHeartbeat, 0);
            await writer;
        }
    }

    // The uploaded folder of a job, to the builder it was sent to only, while the job runs. The
    // file is the one the upload store checked; the builder checks it again before building.
    public override async Task FetchContext(FetchContextRequest request, IServerStreamWriter<ContextChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var node = auth.Authenticate(context.GetHttpContext().Connection.ClientCertificate, "builder");
        var job = builders.Find(node.Id) is { } session && session.Jobs.TryGetValue(request.JobId, out var pending) ? pending : null;
        if (job?.ContextFile is not { } file)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no running job '{request.JobId}' with an uploaded folder on this build server"));
        }

        FileStream stream;
        try
        {
            stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"the uploaded folder of job '{request.JobId}' is gone: its deployment ended"));
        }

        long sent = 0;
        await using (stream)
        {
            var buffer = new byte[Sources.SourceUploadOptions.ChunkBytes];
            int read;
            while ((read = await stream.ReadAsync(buffer, context.CancellationToken)) > 0)
            {
                await responseStream.WriteAsync(new ContextChunk { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken);
                sent += read;
            }
        }

        Log.ContextSent(log, request.JobId, node.Id, sent);
    }

    private async Task ReadAsync(BuilderConnection session, IAsyncStreamReader<BuilderMessage> requestStream)
    {
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
            wait.CancelAfter(DownAfter);
            if (!await requestStream.MoveNext(wait.Token))
            {
                return;
            }

            var message = requestStream.Current;
            session.LastHeartbeat = time.GetUtcNow().UtcDateTime;
            switch (message.KindCase)
            {
                case BuilderMessage.KindOneofCase.Log when session.Jobs.TryGetValue(message.Log.JobId, out var job):
                    job.Log(message.Log.Line);
                    break;
                case BuilderMessage.KindOneofCase.Result when session.Jobs.TryRemove(message.Result.JobId, out var done):
                    done.Complete(message.Result);
                    break;
                case BuilderMessage.KindOneofCase.Head when session.HeadChecks.TryRemove(message.Head.CheckId, out var asked):
                    asked.TrySetResult(message.Head);
                    break;
                default:
                    break;
            }
        }
    }

    private static async Task WriteAsync(BuilderConnection session, IServerStreamWriter<BuildOrder> responseStream)
    {
        try
        {
            await foreach (var order in session.Outbox.ReadAllAsync(session.Token))
            {
                await responseStream.WriteAsync(order, session.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The session ended; the reader side reports why.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(810, LogLevel.Warning, "build server {NodeId} ({Hostname}) missed 3 heartbeats: session closed")]
        public static partial void HeartbeatsMissed(ILogger logger, string nodeId, string hostname);

        [LoggerMessage(812, LogLevel.Warning, "session of build server {NodeId} refused ({Refusal}): {Detail}")]
        public static partial void SessionRefused(ILogger logger, string nodeId, string refusal, string detail);

        [LoggerMessage(811, LogLevel.Information, "uploaded folder of build {JobId} sent to build server {NodeId} ({Bytes} bytes)")]
        public static partial void ContextSent(ILogger logger, string jobId, string nodeId, long bytes);
    }
}
