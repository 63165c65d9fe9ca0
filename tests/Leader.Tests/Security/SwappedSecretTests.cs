using Cluster.Leader.Tests.Support;
using Cluster.Protos.Agent.V1;
using Grpc.Core;
using LiteDB;

namespace Cluster.Leader.Tests.Security;

// Issue #9.6 against the leader in-process and clusterctl's binary: two registry credentials have
// their sealed secrets swapped in the LiteDB file while the leader is stopped (as someone with
// write access to cluster.db but not to keys/ could). Started again (composed anew on the same
// data dir, as the daemon starts), the leader names both records in its
// log, never uses or serves either (an agent's snapshot holds only the untouched credential, a
// deployment pulling through a swapped one fails naming it and what to do), never serves one
// record's secret under the other's name, prints no plaintext anywhere, and a swapped record is
// fixed by setting its password again.
public sealed class SwappedSecretTests : IAsyncLifetime
{
    private const string AlphaPassword = "alpha-password-5f1c9e";
    private const string BetaPassword = "beta-password-8d27a4";
    private const string GammaPassword = "gamma-password-3b6e0f";
    private const string AlphaNew = "alpha-password-new-77aa01";
    private InProcessLeader _leader = null!;
    private readonly List<string> _cliOutput = [];

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task SwappedSealedSecrets_LeaderRestarted_NeitherIsUsedOrServed_TheUntouchedOneStillIs()
    {
        await AddAsync("alpha", AlphaPassword);
        await AddAsync("beta", BetaPassword);
        await AddAsync("gamma", GammaPassword);
        await _leader.StopAsync();
        var (alphaId, betaId) = SwapSealedSecrets(Path.Combine(_leader.DataDir, "cluster.db"), "alpha", "beta");
        await _leader.RestartAsync();

        await using var agent = await AgentSessionClient.OpenAsync(_leader);
        var snapshot = await agent.NextAssignmentsAsync();
        await CtlAsync(null, "app", "create", "web", "--image", "alpha.example/acme/web:1.0", "--registry", "alpha");
        var deploy = await CtlAsync(null, "deploy", "web");
        await CtlAsync(AlphaNew + "\n", "registry", "update", "alpha", "--password-stdin", "--no-verify");
        var fixedAlpha = await agent.NextAssignmentsAsync();

        Assert.Contains($"registry alpha (record {alphaId}) does not open", _leader.Output, StringComparison.Ordinal);
        Assert.Contains($"registry beta (record {betaId}) does not open", _leader.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("registry gamma (record", _leader.Output, StringComparison.Ordinal);
        Assert.Equal(AssignmentSet.Types.Type.Full, snapshot.Type);
        var served = Assert.Single(snapshot.Changes);
        Assert.Equal(("gamma", GammaPassword), (served.Credential.Name, served.Credential.Secret));
        Assert.NotEqual(0, deploy.ExitCode);
        Assert.Contains($"registry 'alpha' (record {alphaId}) cannot be used", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("clusterctl registry update alpha --password-stdin", deploy.Output, StringComparison.Ordinal);
        var update = Assert.Single(fixedAlpha.Changes);
        Assert.Equal(("alpha", AlphaNew), (update.Credential.Name, update.Credential.Secret));
        foreach (var (where, text) in new[] { ("leader log", _leader.Output), ("clusterctl", string.Join("\n", _cliOutput)), ("agent", agent.Received) })
        {
            Assert.False(text.Contains(AlphaPassword, StringComparison.Ordinal), $"alpha's password in the {where}");
            Assert.False(text.Contains(BetaPassword, StringComparison.Ordinal), $"beta's password in the {where}");
        }
    }

    private async Task AddAsync(string name, string password)
    {
        var added = await CtlAsync(password + "\n", "registry", "add", name, "--provider", "generic", "--url", $"{name}.example", "--username", "user-" + name, "--password-stdin", "--no-verify");
        Assert.True(added.ExitCode == 0, added.ToString());
    }

    private async Task<Cluster.Testing.ProcessResult> CtlAsync(string? stdin, params string[] args)
    {
        var result = stdin is null ? await _leader.CtlAsync(null, args) : await _leader.CtlWithStdinAsync(stdin, args);
        _cliOutput.Add(result.Output);
        return result;
    }

    // The LiteDB file opened directly, the leader stopped: the two records' sealed secrets change
    // places, nothing else does. Returns their record ids.
    private static (string, string) SwapSealedSecrets(string file, string first, string second)
    {
        using var db = new LiteDatabase($"Filename={file};Connection=direct");
        var credentials = db.GetCollection("credentials");
        var a = credentials.FindOne(Query.EQ("Name", first));
        var b = credentials.FindOne(Query.EQ("Name", second));
        (a["SealedSecret"], b["SealedSecret"]) = (b["SealedSecret"], a["SealedSecret"]);
        Assert.True(credentials.Update(a) && credentials.Update(b));
        return (a["_id"].AsString, b["_id"].AsString);
    }

    // An agent session as cluster-agent opens one (real node certificate, hello with no swarm
    // node), reading what the leader sends; Received is every message's text.
    private sealed class AgentSessionClient : IAsyncDisposable
    {
        private readonly Grpc.Net.Client.GrpcChannel _channel;
        private readonly AsyncDuplexStreamingCall<AgentMessage, LeaderMessage> _call;
        private readonly System.Text.StringBuilder _received = new();
        private readonly SemaphoreSlim _writing = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _heartbeats;

        // Heartbeats go out every 2 s in the background, as cluster-agent sends them, for as long
        // as the session is open: the test runs clusterctl between reads, and on a loaded machine
        // that took longer than the leader's 15 s without a heartbeat (it then ended the session).
        private AgentSessionClient(Grpc.Net.Client.GrpcChannel channel, AsyncDuplexStreamingCall<AgentMessage, LeaderMessage> call)
        {
            _channel = channel;
            _call = call;
            _heartbeats = Task.Run(async () =>
            {
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(2), _stop.Token);
                        await WriteAsync(new AgentMessage { Heartbeat = new Heartbeat() });
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or IOException)
                {
                    // Disposed, or the leader ended the call: the reads report that.
                }
            });
        }

        private async Task WriteAsync(AgentMessage message)
        {
            await _writing.WaitAsync();
            try
            {
                await _call.RequestStream.WriteAsync(message);
            }
            finally
            {
                _writing.Release();
            }
        }

        public string Received => _received.ToString();

        public static async Task<AgentSessionClient> OpenAsync(ITestLeader leader)
        {
            var (node, _) = await NodeEnrollment.JoinAsync(leader, "agent-1");
            var channel = NodeEnrollment.Channel(leader, node);
            var call = new Dispatcher.DispatcherClient(channel).Session(deadline: DateTime.UtcNow.AddMinutes(2));
            await call.RequestStream.WriteAsync(new AgentMessage { Hello = new Hello { Hostname = "agent-1", EngineVersion = "27.0", Architecture = "amd64", Os = "linux", AgentVersion = "test" } });
            return new AgentSessionClient(channel, call);
        }

        // The next assignment set the leader sends, acknowledged.
        public async Task<AssignmentSet> NextAssignmentsAsync()
        {
            using var within = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await _call.ResponseStream.MoveNext(within.Token))
            {
                var message = _call.ResponseStream.Current;
                _received.AppendLine(message.ToString());
                if (message.KindCase == LeaderMessage.KindOneofCase.Assignments)
                {
                    await WriteAsync(new AgentMessage { Ack = new Ack { Revision = message.Assignments.ResultsIn } });
                    return message.Assignments;
                }
            }

            throw new InvalidOperationException("the leader ended the session before sending assignments");
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
            _writing.Dispose();
        }
    }
}
