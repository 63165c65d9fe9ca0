using System.Text.Json;
using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Leader;

// The whole Bearer flow through the leader, against the lab's registry in token mode (real
// distribution validating JWTs from the tests' token server): login, a wrong password, and a
// pull-only token refused as the cluster's build (push) registry.
[Collection(LabCollection.Name)]
public sealed class TokenModeCredentialTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _pusher = "p" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _reader = "r" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "tok-pw-" + Guid.NewGuid().ToString("N");
    private LeaderProcess _leader = null!;

    public async Task InitializeAsync()
    {
        lab.Tokens.AddUser(_pusher, _password, TokenGrant.PullPush("*"));
        lab.Tokens.AddUser(_reader, _password, TokenGrant.Pull("*"));
        _leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket);
    }

    public async Task DisposeAsync()
    {
        lab.Tokens.RemoveUser(_pusher);
        lab.Tokens.RemoveUser(_reader);
        await _leader.DisposeAsync();
    }

    [Fact]
    public async Task Add_BearerRegistry_RightPasswordVerifiedWrongPasswordRefused()
    {
        var ok = await AddAsync("tok", _pusher, _password);
        Assert.True(ok.Exit == 0, ok.ToString());
        Assert.Contains("verified", ok.Stdout, StringComparison.Ordinal);
        Assert.True(lab.Tokens.RequestCount(_pusher) > 0, "the leader never asked the token server");

        var wrong = await AddAsync("tok-bad", _pusher, _password + "x");
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("unauthorized", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains(lab.Env.TokenRegistry, wrong.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetBuildRegistry_PullOnlyToken_RefusedForLackingPush_PushTokenAccepted()
    {
        Assert.Equal(0, (await AddAsync("reader", _reader, _password)).Exit);
        Assert.Equal(0, (await AddAsync("pusher", _pusher, _password)).Exit);

        var refused = await _leader.CtlAsync("cluster", "set-registry", "reader", "--namespace", $"{lab.Env.TokenRegistry}/builds");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("token lacks push permission", refused.Stderr, StringComparison.Ordinal);

        var accepted = await _leader.CtlAsync("cluster", "set-registry", "pusher", "--namespace", $"{lab.Env.TokenRegistry}/builds");
        Assert.True(accepted.Exit == 0, accepted.ToString());

        var show = await _leader.CtlAsync("cluster", "show", "-o", "json");
        Assert.True(show.Exit == 0, show.ToString());
        using var doc = JsonDocument.Parse(show.Stdout);
        Assert.Equal("pusher", doc.RootElement.GetProperty("buildRegistry").GetString());
        Assert.Equal(lab.Env.Nodes, doc.RootElement.GetProperty("nodes").GetInt32());
        Assert.Equal(lab.Env.Nodes - 1, doc.RootElement.GetProperty("workers").GetInt32());
        Assert.Equal("multi-node", doc.RootElement.GetProperty("mode").GetString());

        // The build registry's credential is not removed by accident.
        var remove = await _leader.CtlAsync("registry", "remove", "pusher");
        Assert.NotEqual(0, remove.Exit);
        Assert.Contains("build registry", remove.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> AddAsync(string name, string user, string password) =>
        _leader.CtlWithStdinAsync(password, "registry", "add", name, "--provider", "generic", "--url", lab.Env.TokenRegistry, "--username", user, "--password-stdin", "--insecure");
}
