using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Protos.Agent.V1;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Bench.Propagation;

// A joined agent's identity: its own P-256 key and the client certificate the leader issued.
internal sealed class AgentIdentity(int index, string nodeId, X509Certificate2 certificate) : IDisposable
{
    public int Index { get; } = index;

    public string NodeId { get; } = nodeId;

    public string Hostname => $"bench-node-{Index:D5}";

    public X509Certificate2 Certificate { get; } = certificate;

    // Enrollment.Join as cluster-agent does it: a fresh key, a CSR, the join token as bearer.
    public static async Task<AgentIdentity> JoinAsync(Enrollment.EnrollmentClient client, ClusterToken joinToken, int index, string machinePrefix, CancellationToken cancellationToken)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN=bench-node-{index:D5}", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        var response = await client.JoinAsync(
            new JoinRequest
            {
                Role = Role.Agent,
                CsrDer = ByteString.CopyFrom(csr),
                MachineId = $"{machinePrefix}-{index:D5}",
                Hostname = $"bench-node-{index:D5}",
            },
            new CallOptions(headers: new Metadata { { "authorization", "Bearer " + joinToken.Format() } }, cancellationToken: cancellationToken));
        if (ClusterToken.FingerprintOf(response.CaCertificateDer.Span) != joinToken.CaFingerprint)
        {
            throw new InvalidOperationException("the leader returned a CA other than the pinned one");
        }

        using var issued = X509CertificateLoader.LoadCertificate(response.CertificateDer.Span);
        return new AgentIdentity(index, response.NodeId, issued.CopyWithPrivateKey(key));
    }

    public void Dispose() => Certificate.Dispose();
}

// One simulated agent session: its own HTTP/2 connection, Hello, heartbeats at the period the
// server sets, and the assignment chain applied as cluster-agent applies it (FULL replaces,
// INCREMENTAL applies when applies_to is the held revision, otherwise ResyncRequest), each
// applied revision acked on the stream. The ack's send time goes to the tracker.
internal sealed class SimulatedAgent : IAsyncDisposable
{
    private readonly AgentIdentity _identity;
    private readonly AckTracker _tracker;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, PullCredential> _held = new(StringComparer.Ordinal);
    private GrpcChannel? _channel;
    private AsyncDuplexStreamingCall<AgentMessage, LeaderMessage>? _call;
    private Task _reader = Task.CompletedTask;
    private Task _heartbeats = Task.CompletedTask;
    private ulong _revision;
    private volatile bool _stopping;

    public SimulatedAgent(AgentIdentity identity, AckTracker tracker)
    {
        _identity = identity;
        _tracker = tracker;
    }

    public int Index => _identity.Index;

    // Diagnostic (--no-acks): apply increments without acking them; the tracker then gets the
    // time each increment was received.
    public bool AckIncrements { get; set; } = true;

    public int Fulls { get; private set; }

    public int Increments { get; private set; }

    public int Resyncs { get; private set; }

    public int Heartbeats { get; private set; }

    public int CredentialsHeld => _held.Count;

    public string? Failure { get; private set; }

    // The last INCREMENTAL set received, as the leader sent it (the bare server's template).
    public LeaderMessage? LastIncrement { get; private set; }

    public async Task StartAsync(string address, string caFingerprint, X509Certificate2? knownCa, CancellationToken cancellationToken)
    {
        _channel = Transport.Channel(address, caFingerprint, _identity.Certificate, knownCa);
        _call = new Dispatcher.DispatcherClient(_channel).Session(cancellationToken: _stop.Token);
        await WriteAsync(new AgentMessage
        {
            Hello = new Hello
            {
                Hostname = _identity.Hostname,
                EngineVersion = "28.0.0",
                // None, as joined: the leader has no engine here (--docker-host points nowhere),
                // and a claimed swarm node id would have to be checked against the swarm's node
                // list, which it then refuses as UNAVAILABLE.
                SwarmNodeId = "",
                SwarmRole = SwarmRole.Worker,
                Architecture = "amd64",
                Os = "linux",
                HeldRevision = 0,
                AgentVersion = "propagation-bench",
            },
        }).WaitAsync(cancellationToken);
        _reader = ReadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await _stop.CancelAsync();
        _call?.Dispose();
        try
        {
            await Task.WhenAll(_reader, _heartbeats).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or RpcException)
        {
            // Stopping anyway.
        }

        _channel?.Dispose();
        _stop.Dispose();
        _write.Dispose();
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _call!.ResponseStream.ReadAllAsync(_stop.Token))
            {
                switch (message.KindCase)
                {
                    case LeaderMessage.KindOneofCase.SessionStarted:
                        var period = message.SessionStarted.HeartbeatPeriod?.ToTimeSpan() ?? TimeSpan.FromSeconds(5);
                        _heartbeats = HeartbeatAsync(period);
                        break;
                    case LeaderMessage.KindOneofCase.Assignments:
                        await ApplyAsync(message);
                        break;
                    default:
                        break;
                }
            }

            if (!_stopping)
            {
                Failure = "the server ended the session";
            }
        }
        catch (RpcException e) when (!_stopping)
        {
            Failure = $"session failed: {e.StatusCode} {e.Status.Detail}";
        }
        catch (Exception e) when (_stopping && e is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
        catch (Exception e) when (!_stopping)
        {
            Failure = $"session failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private async Task ApplyAsync(LeaderMessage message)
    {
        var set = message.Assignments;
        switch (set.Type)
        {
            case AssignmentSet.Types.Type.Full:
                _held.Clear();
                Apply(set);
                Fulls++;
                break;
            case AssignmentSet.Types.Type.Incremental when set.AppliesTo == _revision:
                Apply(set);
                Increments++;
                LastIncrement = message;
                break;
            case AssignmentSet.Types.Type.Incremental:
                Resyncs++;
                await WriteAsync(new AgentMessage
                {
                    Resync = new ResyncRequest { HeldRevision = _revision, Reason = $"increment applies to {set.AppliesTo}, this agent holds {_revision}" },
                });
                return;
            default:
                return;
        }

        _revision = set.ResultsIn;
        if (set.Type == AssignmentSet.Types.Type.Full || AckIncrements)
        {
            await WriteAsync(new AgentMessage { Ack = new Ack { Revision = _revision } });
        }

        _tracker.Acked(_identity.Index, _revision, Stopwatch.GetTimestamp());
    }

    private void Apply(AssignmentSet set)
    {
        foreach (var change in set.Changes)
        {
            if (change.ItemCase != Assignment.ItemOneofCase.Credential)
            {
                continue;
            }

            if (change.Action == Assignment.Types.Action.Remove)
            {
                _held.Remove(change.Credential.Id);
            }
            else
            {
                _held[change.Credential.Id] = change.Credential;
            }
        }

        _revision = set.ResultsIn;
    }

    private async Task HeartbeatAsync(TimeSpan period)
    {
        try
        {
            // Spread over the period, as independent agents would be.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * period.TotalMilliseconds), _stop.Token);
            using var timer = new PeriodicTimer(period);
            do
            {
                await WriteAsync(new AgentMessage { Heartbeat = new Heartbeat { SentAt = Timestamp.FromDateTime(DateTime.UtcNow) } });
                Heartbeats++;
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or ObjectDisposedException)
        {
            // The session ended; the reader reports why.
        }
    }

    // gRPC allows one pending write per stream: acks and heartbeats take turns.
    private async Task WriteAsync(AgentMessage message)
    {
        await _write.WaitAsync(_stop.Token);
        try
        {
            await _call!.RequestStream.WriteAsync(message, _stop.Token);
        }
        finally
        {
            _write.Release();
        }
    }
}
