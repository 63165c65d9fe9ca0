using Cluster.Leader.Builds;
using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Build.V1;
using Cluster.Protos.Join.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Leader.Tests.Builds;

// Auto-Sync's branch-head check over a real builder session with the in-process leader: the
// check reaches a build server as head_check with the app's Git credential, its answer (or the
// session's end) comes back as the check's outcome, and the token never reaches the leader's log.
public sealed class BuilderGitHeadsTests : IAsyncLifetime
{
    private const string Url = "https://git.example.com/acme/web.git";
    private readonly string _token = "head-token-" + Guid.NewGuid().ToString("N");
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task HeadAsync_OverABuilderSession_SendsTheCredentialAndReturnsTheAnswerOrTheDisconnect()
    {
        await _leader.Services.GetRequiredService<GitCredentialService>().AddAsync("acme", "https://git.example.com/acme/", "bot", _token, null, null, "test", CancellationToken.None);
        var heads = _leader.Services.GetRequiredService<BuilderGitHeads>();

        var none = await heads.HeadAsync(Url, "main", "", CancellationToken.None);
        Assert.False(none.Ok);
        Assert.Contains("no build server is connected", none.Error, StringComparison.Ordinal);

        var (node, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);
        using var channel = NodeEnrollment.Channel(_leader, node);
        using var call = new BuildDispatcher.BuildDispatcherClient(channel).Session(deadline: DateTime.UtcNow.AddMinutes(1));
        await call.RequestStream.WriteAsync(new BuilderMessage { Hello = new BuilderHello { Hostname = "builder-1", EngineVersion = "27.0", Architecture = "amd64", Parallelism = 1 } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(BuildOrder.KindOneofCase.SessionStarted, call.ResponseStream.Current.KindCase);

        // Answered: the builder gets the URL, the branch and the token; the leader gets the commit.
        var commit = new string('b', 40);
        var asked = heads.HeadAsync(Url, "main", "", CancellationToken.None);
        var check = await NextCheckAsync(call);
        Assert.Equal((Url, "main", _token, "bot", "acme"), (check.GitUrl, check.GitRef, check.GitCredential.Token, check.GitCredential.Username, check.GitCredential.Name));
        await call.RequestStream.WriteAsync(new BuilderMessage { Head = new GitHeadResult { CheckId = check.CheckId, Ok = true, Commit = commit } });
        Assert.Equal(new GitHead(true, commit, ""), await asked.WaitAsync(TimeSpan.FromSeconds(10)));

        // Refused by the Git server: the builder's words, made printable, naming the builder.
        asked = heads.HeadAsync(Url, "main", "", CancellationToken.None);
        check = await NextCheckAsync(call);
        await call.RequestStream.WriteAsync(new BuilderMessage { Head = new GitHeadResult { CheckId = check.CheckId, Error = "cannot read the branch head\u001b[2J of " + Url } });
        var failed = await asked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(failed.Ok);
        Assert.DoesNotContain('\u001b', failed.Error);
        Assert.EndsWith("(checked on build server builder-1)", failed.Error, StringComparison.Ordinal);

        // The session ends before the answer: the check fails at once, it does not wait.
        asked = heads.HeadAsync(Url, "main", "", CancellationToken.None);
        await NextCheckAsync(call);
        await call.RequestStream.CompleteAsync();
        var gone = await asked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(gone.Ok);
        Assert.Contains("disconnected", gone.Error, StringComparison.Ordinal);

        Assert.DoesNotContain(_token, _leader.Output, StringComparison.Ordinal);
    }

    private static async Task<GitHeadCheck> NextCheckAsync(AsyncDuplexStreamingCall<BuilderMessage, BuildOrder> call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            if (call.ResponseStream.Current.KindCase == BuildOrder.KindOneofCase.HeadCheck)
            {
                return call.ResponseStream.Current.HeadCheck;
            }
        }

        throw new InvalidOperationException("the leader ended the session without a head check");
    }
}
