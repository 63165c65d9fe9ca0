using Cluster.Core.Registry;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Tests.Support;
using Cluster.Protos.Agent.V1;
using Microsoft.Extensions.Logging.Abstractions;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.Credentials;

public sealed class CredentialCheckerTests
{
    private readonly ScriptedEngine _engine = new();
    private readonly AssignmentStore _store = new();
    private readonly LeaderOutbox _outbox = new();
    private readonly WatchedClock _time = new();

    [Fact]
    public async Task CheckAsync_EngineAcceptsLogin_OkWithRevisionAndTime()
    {
        var credential = Node("c1", "registry.example:5000", revision: 9);

        var check = await Checker().CheckAsync(credential, CancellationToken.None);

        Assert.True(check.Ok);
        Assert.Equal("c1", check.CredentialId);
        Assert.Equal(9ul, check.Revision);
        Assert.Equal(_time.GetUtcNow(), check.CheckedAt.ToDateTimeOffset());
        var login = Assert.Single(_engine.LoginCalls);
        Assert.Equal("registry.example:5000", login.ServerAddress);
    }

    [Theory]
    [InlineData(RegistryFailureKind.Unauthorized, "login attempt to http://registry.example:5000/v2/ failed with status: 401 Unauthorized", FailureKind.Unauthorized, "unauthorized: login attempt")]
    [InlineData(RegistryFailureKind.Unreachable, "dial tcp 10.0.0.9:5000: connect: connection refused", FailureKind.Unreachable, "registry unreachable: dial tcp")]
    [InlineData(RegistryFailureKind.Tls, "x509: certificate signed by unknown authority", FailureKind.Tls, "TLS failure: x509")]
    [InlineData(RegistryFailureKind.Engine, "Docker engine at unix:///x is not answering", FailureKind.Engine, "Docker engine at unix:///x is not answering")]
    [InlineData(RegistryFailureKind.Engine, "500 Internal Server Error", FailureKind.Engine, "Docker engine failed: 500")]
    public async Task CheckAsync_EngineRefuses_FailureKindAndMessageForTheUser(RegistryFailureKind kind, string detail, FailureKind expected, string start)
    {
        _engine.LoginFails("user", kind, detail);

        var check = await Checker().CheckAsync(Node("c1", "registry.example:5000", secret: "hunter2-secret"), CancellationToken.None);

        Assert.False(check.Ok);
        Assert.Equal(expected, check.Failure);
        Assert.StartsWith(start, check.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", check.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_EngineNeverAnswers_UnreachableAfterTheCallTimeout()
    {
        _engine.LoginHangs("user");

        var check = Checker().CheckAsync(Node("c1", "registry.example:5000"), CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(30), await _time.NextTimerAsync());
        _time.Advance(TimeSpan.FromSeconds(30));
        var result = await check.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(result.Ok);
        Assert.Equal(FailureKind.Unreachable, result.Failure);
        Assert.Contains("did not finish within 30s", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_SomeIds_ChecksThoseHeldAndReportsThroughTheOutbox()
    {
        Hold(Node("a", "a.example"), Node("b", "b.example", username: "b-user"), Node("c", "c.example"));
        _engine.LoginFails("b-user", RegistryFailureKind.Unauthorized, "unauthorized: incorrect username or password");
        using var checker = Checker();
        await checker.StartAsync(CancellationToken.None);

        checker.Request(["b", "c", "not-held"]);
        var reports = new[] { await NextReportAsync(), await NextReportAsync() };
        await checker.StopAsync(CancellationToken.None);

        Assert.Equal(["b", "c"], reports.Select(r => r.CredentialCheck.CredentialId).Order());
        Assert.False(reports.Single(r => r.CredentialCheck.CredentialId == "b").CredentialCheck.Ok);
        Assert.False(_outbox.Reports.TryRead(out _));
    }

    [Fact]
    public async Task ExecuteAsync_RecheckIntervalPasses_ChecksEveryCredentialAgain()
    {
        Hold(Node("a", "a.example"), Node("b", "b.example"));
        using var checker = Checker();
        await checker.StartAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromMinutes(10), await _time.NextTimerAsync());

        _time.Advance(TimeSpan.FromMinutes(10));
        var reports = new[] { await NextReportAsync(), await NextReportAsync() };
        await checker.StopAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], reports.Select(r => r.CredentialCheck.CredentialId).Order());
    }

    private CredentialChecker Checker() => new(
        _engine,
        _store,
        _outbox,
        new AgentOptions { Leader = "127.0.0.1:7443", JoinToken = "x", StateDir = "/tmp/x", DockerHost = new Uri("unix:///x.sock") },
        _time,
        NullLogger<CredentialChecker>.Instance);

    private async Task<AgentMessage> NextReportAsync() => await _outbox.Reports.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    private void Hold(params NodeCredential[] credentials) =>
        _store.Publish(AssignmentSnapshot.Empty with
        {
            Revision = 1,
            Credentials = System.Collections.Immutable.ImmutableDictionary.CreateRange(credentials.Select(c => KeyValuePair.Create(c.Id, c))),
        });
}
