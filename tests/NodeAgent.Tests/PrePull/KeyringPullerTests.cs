using System.Collections.Immutable;
using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.PrePull;
using Cluster.NodeAgent.Tests.Support;
using Cluster.Protos.Agent.V1;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.PrePull;

public sealed class KeyringPullerTests
{
    private static readonly string Digest = "sha256:" + new string('c', 64);
    private static readonly ImageReference Image = ImageReference.Parse($"ghcr.io/team/app:1.2@{Digest}");

    private readonly ScriptedEngine _engine = new();

    [Fact]
    public async Task PullAsync_SeveralMatches_TriesMostSpecificFirstAndListsEveryFailure()
    {
        _engine.PullFails("team-user", RegistryFailureKind.Unauthorized, "unauthorized: authentication required")
            .PullFails("org-user", RegistryFailureKind.Forbidden, "denied: permission_denied: read:packages missing");
        var keyring = Keyring(
            Node("org", "ghcr.io", username: "org-user", name: "ghcr-org"),
            Node("team", "ghcr.io/team", username: "team-user", name: "ghcr-team"),
            Node("other", "quay.io", username: "quay-user"));

        var outcome = await new KeyringPuller(_engine).PullAsync(Image, keyring, null, CancellationToken.None, CancellationToken.None);

        Assert.False(outcome.Ok);
        Assert.Equal(
            ["registry 'ghcr-team': unauthorized: authentication required", "registry 'ghcr-org': forbidden: denied: permission_denied: read:packages missing"],
            outcome.Attempts);
        Assert.Equal(FailureKind.Unauthorized, outcome.Failure);
        Assert.Contains("registry 'ghcr-team': unauthorized", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("registry 'ghcr-org': forbidden", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(["team-user", "org-user"], _engine.PullCalls.Select(c => c.User));
    }

    [Fact]
    public async Task PullAsync_SecondCredentialWorks_OkWithFirstFailureKeptAndImageId()
    {
        _engine.PullFails("team-user", RegistryFailureKind.Unauthorized, "unauthorized: authentication required")
            .PullSucceeds("org-user", "sha256:" + new string('1', 64));
        var keyring = Keyring(Node("org", "ghcr.io", username: "org-user"), Node("team", "ghcr.io/team", username: "team-user", name: "ghcr-team"));

        var outcome = await new KeyringPuller(_engine).PullAsync(Image, keyring, null, CancellationToken.None, CancellationToken.None);

        Assert.True(outcome.Ok);
        Assert.Equal("sha256:" + new string('1', 64), outcome.ImageId);
        Assert.Equal(["registry 'ghcr-team': unauthorized: authentication required"], outcome.Attempts);
    }

    [Fact]
    public async Task PullAsync_PinnedImage_PullsByDigest()
    {
        _engine.PullSucceeds(null, "sha256:" + new string('1', 64));

        await new KeyringPuller(_engine).PullAsync(Image, Keyring(), null, CancellationToken.None, CancellationToken.None);

        Assert.Equal($"ghcr.io/team/app@{Digest}", Assert.Single(_engine.PullCalls).Reference);
    }

    [Fact]
    public async Task PullAsync_NoMatchingCredential_PullsAnonymouslyAndSaysSo()
    {
        _engine.PullFails(null, RegistryFailureKind.Unauthorized, "unauthorized: authentication required");

        var outcome = await new KeyringPuller(_engine).PullAsync(Image, Keyring(Node("q", "quay.io")), null, CancellationToken.None, CancellationToken.None);

        Assert.Equal(["anonymous: unauthorized: authentication required"], outcome.Attempts);
        Assert.Equal(ScriptedEngine.Anonymous, Assert.Single(_engine.PullCalls).User);
    }

    [Fact]
    public async Task PullAsync_DiskFull_StopsTryingAndReportsNoSpace()
    {
        _engine.PullFails("team-user", RegistryFailureKind.NoSpace, "write /var/lib/docker/tmp/x: no space left on device")
            .PullSucceeds("org-user", "sha256:" + new string('1', 64));
        var keyring = Keyring(Node("org", "ghcr.io", username: "org-user"), Node("team", "ghcr.io/team", username: "team-user", name: "ghcr-team"));

        var outcome = await new KeyringPuller(_engine).PullAsync(Image, keyring, null, CancellationToken.None, CancellationToken.None);

        Assert.False(outcome.Ok);
        Assert.Equal(FailureKind.NoSpace, outcome.Failure);
        Assert.Single(_engine.PullCalls);
        Assert.Contains("no space left on device", Assert.Single(outcome.Attempts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_DeadlinePassesDuringPull_DeadlineWithTheAttemptListed()
    {
        _engine.PullFails("team-user", RegistryFailureKind.Unauthorized, "unauthorized: authentication required").PullHangs("org-user");
        var keyring = Keyring(Node("org", "ghcr.io", username: "org-user", name: "ghcr-org"), Node("team", "ghcr.io/team", username: "team-user", name: "ghcr-team"));
        var time = new WatchedClock();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5), time);

        var pull = new KeyringPuller(_engine).PullAsync(Image, keyring, null, deadline.Token, CancellationToken.None);
        while (_engine.PullCalls.Count < 2)
        {
            await Task.Delay(5);
        }

        time.Advance(TimeSpan.FromMinutes(5));
        var outcome = await pull.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(outcome.Ok);
        Assert.Equal(FailureKind.Deadline, outcome.Failure);
        Assert.Equal(["registry 'ghcr-team': unauthorized: authentication required", "registry 'ghcr-org': deadline passed during the pull"], outcome.Attempts);
    }

    [Fact]
    public async Task PullAsync_AgentStopping_Throws()
    {
        _engine.PullHangs(null);
        using var stopping = new CancellationTokenSource();

        var pull = new KeyringPuller(_engine).PullAsync(Image, Keyring(), null, CancellationToken.None, stopping.Token);
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull);
    }

    [Fact]
    public async Task PullAsync_DigestAlreadyPresent_NoPullAndOk()
    {
        _engine.Present[$"ghcr.io/team/app@{Digest}"] = "sha256:" + new string('9', 64);

        var outcome = await new KeyringPuller(_engine).PullAsync(Image, Keyring(), null, CancellationToken.None, CancellationToken.None);

        Assert.True(outcome.Ok);
        Assert.Equal("sha256:" + new string('9', 64), outcome.ImageId);
        Assert.Empty(_engine.PullCalls);
    }

    [Fact]
    public void BuildKeyring_FromSnapshot_MatchesOnlyByKey()
    {
        var snapshot = AssignmentSnapshot.Empty with
        {
            Credentials = new[] { Node("hub", "docker.io"), Node("ghcr", "ghcr.io/team") }.ToDictionary(c => c.Id).ToImmutableDictionary(),
        };

        var keyring = KeyringPuller.BuildKeyring(snapshot);

        Assert.Equal(["hub"], keyring.Lookup(ImageReference.Parse("nginx")).Select(c => c.Id));
        Assert.Equal(["ghcr"], keyring.Lookup(Image).Select(c => c.Id));
        Assert.Empty(keyring.Lookup(ImageReference.Parse("ghcr.io/else/app")));
    }

    private static CredentialKeyring<NodeCredential> Keyring(params NodeCredential[] credentials)
    {
        var keyring = new CredentialKeyring<NodeCredential>();
        foreach (var credential in credentials)
        {
            keyring.Add(credential.Match, credential);
        }

        return keyring;
    }
}
