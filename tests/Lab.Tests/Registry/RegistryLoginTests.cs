using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// RegistryClient.CheckLoginAsync against both real lab registries: htpasswd (Basic) on :5000 and
// token auth (Bearer, with the test TokenServer) on :5001.
[Collection(LabCollection.Name)]
public sealed class RegistryLoginTests(LabFixture lab)
{
    [Fact]
    public async Task CheckLogin_BasicRegistryRightPassword_Ok()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();

        var check = await client.CheckLoginAsync(Basic(lab), BasicLogin(lab), cts.Token);

        AssertOk(check);
        Assert.Contains(lab.Env.Registry, check.Message, StringComparison.Ordinal);
        AssertNoSecret(check, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task CheckLogin_BasicRegistryWrongPassword_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var wrong = new RegistryLogin(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword + "-wrong");

        var check = await client.CheckLoginAsync(Basic(lab), wrong, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        Assert.Equal($"unauthorized: username or password rejected by {lab.Env.Registry}", check.Message);
        AssertNoSecret(check, wrong.Secret, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task CheckLogin_BasicRegistryUnknownUser_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var unknown = new RegistryLogin(lab.Env.Registry, UniqueName("nobody"), "pw-" + Guid.NewGuid().ToString("N"));

        var check = await client.CheckLoginAsync(Basic(lab), unknown, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        AssertNoSecret(check, unknown.Secret);
    }

    [Fact]
    public async Task CheckLogin_BasicRegistryAnonymous_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();

        var check = await client.CheckLoginAsync(Basic(lab), login: null, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        Assert.Contains("requires a login", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckLogin_TokenRegistryRightPassword_OkThroughTokenServer()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var login = AddTokenUser(lab, TokenGrant.Pull("*"));

        var check = await client.CheckLoginAsync(Token(lab), login, cts.Token);

        AssertOk(check);
        Assert.Equal($"login as {login.Username} accepted by {lab.Env.TokenRegistry}", check.Message);
        // docker login's request: the account, no scope.
        var request = Assert.Single(lab.Tokens.Requests, r => r.User == login.Username);
        Assert.Equal(login.Username, request.Account);
        Assert.Empty(request.Scopes);
        Assert.Equal(200, request.Status);
    }

    [Fact]
    public async Task CheckLogin_TokenRegistryWrongPassword_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var login = AddTokenUser(lab, TokenGrant.Pull("*"));
        var wrong = new RegistryLogin(login.ServerAddress, login.Username, login.Secret + "-wrong");

        var check = await client.CheckLoginAsync(Token(lab), wrong, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        Assert.StartsWith($"unauthorized: username or token rejected by {lab.Env.TokenRegistry}", check.Message, StringComparison.Ordinal);
        AssertNoSecret(check, wrong.Secret, login.Secret);
    }

    [Fact]
    public async Task CheckLogin_TokenRegistryUnknownUser_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var unknown = new RegistryLogin(lab.Env.TokenRegistry, UniqueName("nobody"), "pw-" + Guid.NewGuid().ToString("N"));

        var check = await client.CheckLoginAsync(Token(lab), unknown, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        AssertNoSecret(check, unknown.Secret);
    }

    [Fact]
    public async Task CheckLogin_TokenRegistryPasswordChanged_OldPasswordUnauthorizedNewOk()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var login = AddTokenUser(lab, TokenGrant.Pull("*"));
        AssertOk(await client.CheckLoginAsync(Token(lab), login, cts.Token));

        var rotated = new RegistryLogin(login.ServerAddress, login.Username, "pw-" + Guid.NewGuid().ToString("N"));
        lab.Tokens.SetPassword(login.Username, rotated.Secret);

        AssertFailure(await client.CheckLoginAsync(Token(lab), login, cts.Token), RegistryFailureKind.Unauthorized);
        AssertOk(await client.CheckLoginAsync(Token(lab), rotated, cts.Token));
    }

    [Fact]
    public async Task CheckLogin_TokenServerRateLimits_RateLimitedWithRetryAfter()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var login = AddTokenUser(lab, TokenGrant.Pull("*"));
        lab.Tokens.Throttle(login.Username, TimeSpan.FromSeconds(42));

        var check = await client.CheckLoginAsync(Token(lab), login, cts.Token);

        AssertFailure(check, RegistryFailureKind.RateLimited);
        Assert.Equal(TimeSpan.FromSeconds(42), check.RetryAfter);
        Assert.Contains("retry after 42 s", check.Message, StringComparison.Ordinal);
        AssertNoSecret(check, login.Secret);
    }
}
