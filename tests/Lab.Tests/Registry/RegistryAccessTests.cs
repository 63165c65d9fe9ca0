using Cluster.Core.Docker;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// RegistryClient.CheckAccessAsync: pull proven by tags/list, push by starting (and cancelling) a
// blob upload, against both lab registries; and what the engine itself says for the same case.
[Collection(LabCollection.Name)]
public sealed class RegistryAccessTests(LabFixture lab)
{
    [Fact]
    public async Task CheckAccess_BasicRegistryPullOfEmptyRepository_OkAllowedButEmpty()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var repository = "access/" + UniqueName("empty");

        var check = await client.CheckAccessAsync(Basic(lab), repository, RegistryAccess.Pull, BasicLogin(lab), cts.Token);

        AssertOk(check);
        Assert.Contains("holds no images yet", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAccess_BasicRegistryPush_OkAndLeavesNoUpload()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var repository = "access/" + UniqueName("push");

        var check = await client.CheckAccessAsync(Basic(lab), repository, RegistryAccess.Push, BasicLogin(lab), cts.Token);

        AssertOk(check);
        Assert.Equal($"push allowed for {repository} on {lab.Env.Registry}", check.Message);
        // The upload was started and cancelled: its data file is gone (distribution 2.8 still
        // leaves the upload's empty hash state behind after a cancel; that is the registry's).
        var uploads = Path.Combine(lab.Env["LAB_DIR"], "reg", "data", "docker", "registry", "v2", "repositories", repository, "_uploads");
        Assert.True(Directory.Exists(uploads), $"no upload was started in {uploads}");
        Assert.Empty(Directory.GetFiles(uploads, "data", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task CheckAccess_BasicRegistryWrongPasswordPush_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var wrong = new RegistryLogin(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword + "-wrong");

        var check = await client.CheckAccessAsync(Basic(lab), "access/x", RegistryAccess.Push, wrong, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        AssertNoSecret(check, wrong.Secret, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task CheckAccess_TokenRegistryPullOnlyUserPull_Ok()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var reader = AddTokenUser(lab, TokenGrant.Pull("*"));

        var check = await client.CheckAccessAsync(Token(lab), "access/" + UniqueName("r"), RegistryAccess.Pull, reader, cts.Token);

        AssertOk(check);
    }

    [Fact]
    public async Task CheckAccess_TokenRegistryPullOnlyUserPush_Forbidden()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var reader = AddTokenUser(lab, TokenGrant.Pull("*"));
        var repository = "access/" + UniqueName("r");

        var check = await client.CheckAccessAsync(Token(lab), repository, RegistryAccess.Push, reader, cts.Token);

        AssertFailure(check, RegistryFailureKind.Forbidden);
        Assert.Equal($"forbidden: token lacks push permission for {repository} on {lab.Env.TokenRegistry}", check.Message);
        AssertNoSecret(check, reader.Secret);
        // It asked for pull and push, as docker push does; the token server granted only pull.
        var request = Assert.Single(lab.Tokens.Requests, r => r.User == reader.Username);
        Assert.Equal([$"repository:{repository}:pull,push"], request.Scopes);
    }

    [Fact]
    public async Task CheckAccess_TokenRegistryPushUserPush_Ok()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("team/*"));

        var check = await client.CheckAccessAsync(Token(lab), "team/" + UniqueName("app"), RegistryAccess.Push, pusher, cts.Token);

        AssertOk(check);
    }

    [Fact]
    public async Task CheckAccess_TokenRegistryRepositoryOutsideGrant_PullForbidden()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var teamUser = AddTokenUser(lab, TokenGrant.PullPush("team/*"));

        var check = await client.CheckAccessAsync(Token(lab), "other/" + UniqueName("app"), RegistryAccess.Pull, teamUser, cts.Token);

        AssertFailure(check, RegistryFailureKind.Forbidden);
        Assert.Contains("lacks pull permission", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAccess_TokenRegistryAnonymousPull_Unauthorized()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();

        var check = await client.CheckAccessAsync(Token(lab), "access/anything", RegistryAccess.Pull, login: null, cts.Token);

        AssertFailure(check, RegistryFailureKind.Unauthorized);
        Assert.Contains("requires a login", check.Message, StringComparison.Ordinal);
    }

    // The engine's own view of the same refusal (what a node sees when a pull-only credential is
    // used to push): the push fails, and distribution words it as 401 insufficient_scope, which
    // the engine reports as "unauthorized: authentication required".
    [Fact]
    public async Task PushThroughEngine_TokenRegistryPullOnlyUser_IsRefused()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("*"));
        var reader = AddTokenUser(lab, TokenGrant.Pull("*"));
        var (image, _) = await PushNewImageAsync(lab, lab.Env.TokenRegistry, "access/engine", pusher, cts.Token);
        var retagged = image.WithTag(UniqueName("t"));
        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        await manager.TagImageAsync(image.Canonical, retagged, cts.Token);

        var error = await Assert.ThrowsAsync<DockerOperationException>(() => manager.PushImageAsync(retagged, reader, cts.Token));

        Assert.Contains(error.Kind, new[] { RegistryFailureKind.Unauthorized, RegistryFailureKind.Forbidden });
        Assert.DoesNotContain(reader.Secret, error.Message, StringComparison.Ordinal);
    }
}
