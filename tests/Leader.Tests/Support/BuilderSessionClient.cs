using System.Security.Cryptography.X509Certificates;
using Cluster.Protos.Build.V1;
using Grpc.Core;

namespace Cluster.Leader.Tests.Support;

// A builder session as cluster-builder opens one: hello, then session_started from the
// leader, then a heartbeat every 200 ms until disposed; OpenAsync throws the leader's
// refusal instead.
public sealed class BuilderSessionClient : IAsyncDisposable
{
    private readonly Grpc.Net.Client.GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<BuilderMessage, BuildOrder> _call;
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;

    private BuilderSessionClient(Grpc.Net.Client.GrpcChannel channel, AsyncDuplexStreamingCall<BuilderMessage, BuildOrder> call)
    {
        _channel = channel;
        _call = call;
    }

    public static async Task<BuilderSessionClient> OpenAsync(ITestLeader leader, X509Certificate2 node, string swarmNodeId = "")
    {
        var channel = NodeEnrollment.Channel(leader, node);
        var call = new BuildDispatcher.BuildDispatcherClient(channel).Session(deadline: DateTime.UtcNow.AddMinutes(2));
        var session = new BuilderSessionClient(channel, call);
        try
        {
            await call.RequestStream.WriteAsync(new BuilderMessage
            {
                Hello = new BuilderHello { Hostname = "builder", EngineVersion = "27.0", Architecture = "amd64", SwarmNodeId = swarmNodeId, Parallelism = 1 },
            });
            if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.KindCase != BuildOrder.KindOneofCase.SessionStarted)
            {
                throw new InvalidOperationException("the leader did not answer session_started");
            }

            session._heartbeats = session.BeatAsync();
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _heartbeats;
        _stop.Dispose();
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // The leader ended the call already.
        }

        _call.Dispose();
        _channel.Dispose();
    }

    private async Task BeatAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(200, _stop.Token);
                await _call.RequestStream.WriteAsync(new BuilderMessage { Heartbeat = new BuilderHeartbeat { SentAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) } });
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or IOException)
        {
            // Stopped, or the leader ended the session: the test's assertions say which matters.
        }
    }
}
