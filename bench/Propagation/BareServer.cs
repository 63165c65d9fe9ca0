using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Cluster.Core.Security;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Bench.Propagation;

// The transport's own limit: `propagation-bench --bare-server PORT`, a child process of the
// benchmark (so its RSS is its own). Kestrel, HTTP/2 over TLS with a self-signed P-256
// certificate (client certificates requested as the leader does), Dispatcher.Session and
// nothing else: no database, no logging per message. Driven over stdin:
//   template BASE64      the leader's increment (a LeaderMessage) to broadcast, re-numbered
//   broadcast REV        send it (applies_to = previous, results_in = REV) to every stream;
//                        prints "acked REV MS UTC" once every stream has acked REV
internal static class BareServer
{
    public static async Task<int> RunAsync(int port, double heartbeatSeconds)
    {
        using var certificate = SelfSigned();
        var fingerprint = ClusterToken.FingerprintOf(certificate.RawData);
        var hub = new BareHub(TimeSpan.FromSeconds(heartbeatSeconds));

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(hub);
        builder.Services.AddGrpc();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                    OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
                });
            }));
        await using var app = builder.Build();
        app.MapGrpcService<BareDispatcher>();
        await app.StartAsync();
        Console.WriteLine($"ready {fingerprint} gc={(GCSettings.IsServerGC ? "server" : "workstation")}");

        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', 2);
            switch (parts[0])
            {
                case "template":
                    hub.SetTemplate(LeaderMessage.Parser.ParseFrom(Convert.FromBase64String(parts[1])));
                    Console.WriteLine("template ok");
                    break;
                case "broadcast":
                    hub.Broadcast(ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "quit":
                    await app.StopAsync();
                    return 0;
                default:
                    Console.WriteLine($"unknown command '{parts[0]}'");
                    break;
            }
        }

        await app.StopAsync();
        return 0;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bare-broadcast", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        // It stands in for the leader, so it carries the leader identity clients require.
        san.AddUri(PinnedCa.LeaderIdentity);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCa.ServerAuthOid)], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}

internal sealed class BareHub(TimeSpan heartbeatPeriod)
{
    private readonly ConcurrentDictionary<long, Channel<LeaderMessage>> _sessions = new();
    private long _nextSession;
    private LeaderMessage _template = new();
    private ulong _revision = 1;
    private Round? _round;

    public TimeSpan HeartbeatPeriod { get; } = heartbeatPeriod;

    public void SetTemplate(LeaderMessage template) => _template = template;

    // Session start: the current state as a FULL set (the template's credential, at the current revision).
    public LeaderMessage Full()
    {
        var set = new AssignmentSet { Type = AssignmentSet.Types.Type.Full, AppliesTo = 0, ResultsIn = Volatile.Read(ref _revision) };
        set.Changes.AddRange(_template.Assignments?.Changes ?? []);
        return new LeaderMessage { Assignments = set };
    }

    public long Add(Channel<LeaderMessage> outbox)
    {
        var id = Interlocked.Increment(ref _nextSession);
        _sessions[id] = outbox;
        return id;
    }

    public void Remove(long id) => _sessions.TryRemove(id, out _);

    // One message, written to every stream.
    public void Broadcast(ulong revision)
    {
        var message = _template.Clone();
        message.Assignments.AppliesTo = _revision;
        message.Assignments.ResultsIn = revision;
        foreach (var change in message.Assignments.Changes.Where(c => c.Credential is not null))
        {
            change.Credential.Revision = revision;
        }

        _revision = revision;
        var outboxes = _sessions.Values.ToList();
        Volatile.Write(ref _round, new Round(revision, outboxes.Count));
        foreach (var outbox in outboxes)
        {
            outbox.Writer.TryWrite(message);
        }
    }

    public void Acked(ulong revision)
    {
        if (Volatile.Read(ref _round) is { } round && round.Revision == revision && Interlocked.Decrement(ref round.Remaining) == 0)
        {
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"acked {revision} {Stopwatch.GetElapsedTime(round.Started).TotalMilliseconds:0.0} {DateTime.UtcNow:O}"));
        }
    }

    private sealed class Round(ulong revision, int sessions)
    {
        public ulong Revision { get; } = revision;

        public long Started { get; } = Stopwatch.GetTimestamp();

#pragma warning disable CA1051 // Interlocked needs the field.
        public int Remaining = sessions;
#pragma warning restore CA1051
    }
}

internal sealed class BareDispatcher(BareHub hub) : Dispatcher.DispatcherBase
{
    public override async Task Session(IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<LeaderMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.KindCase != AgentMessage.KindOneofCase.Hello)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "the first message of a session must be hello"));
        }

        var outbox = Channel.CreateUnbounded<LeaderMessage>(new UnboundedChannelOptions { SingleReader = true });
        outbox.Writer.TryWrite(new LeaderMessage
        {
            SessionStarted = new SessionStarted { SessionId = Guid.NewGuid().ToString("N"), NodeId = "bare", HeartbeatPeriod = Duration.FromTimeSpan(hub.HeartbeatPeriod) },
        });
        outbox.Writer.TryWrite(hub.Full());
        var id = hub.Add(outbox);
        var writer = WriteAsync(outbox.Reader, responseStream, context.CancellationToken);
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                if (requestStream.Current.KindCase == AgentMessage.KindOneofCase.Ack)
                {
                    hub.Acked(requestStream.Current.Ack.Revision);
                }
            }
        }
        finally
        {
            hub.Remove(id);
            outbox.Writer.TryComplete();
            await writer;
        }
    }

    private static async Task WriteAsync(ChannelReader<LeaderMessage> outbox, IServerStreamWriter<LeaderMessage> responseStream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in outbox.ReadAllAsync(cancellationToken))
            {
                await responseStream.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // The session ended.
        }
    }
}
