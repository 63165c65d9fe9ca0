using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Api;

// Issue #13.9 on the real leader and clusterctl binaries (no registry or swarm needed for these
// refusals; the deployment of a pinned digest is a lab test): `--image REF@sha256:...` is
// accepted and shown as the app's pin; a digest cannot be auto-synced; `deploy --tag` on a pinned
// app is refused before anything starts, naming the command that follows a tag instead; and
// `app set --tag` replaces the pin.
// One leader serves the class; each test names its own app.
public sealed class DigestPinTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task CreateWithDigest_ShownAsPinned_DeployTagRefused_SetTagReplacesThePin()
    {
        var created = await _leader.CtlAsync(null, "app", "create", "web", "--image", $"127.0.0.1:1/acme/web:1.0@{Digest}");
        Assert.True(created.ExitCode == 0, created.Output);
        Assert.Contains($"\"pinnedDigest\": \"{Digest}\"", (await _leader.CtlAsync(null, "app", "show", "web", "-o", "json")).Output, StringComparison.Ordinal);

        var deployTag = await _leader.CtlAsync(null, "deploy", "web", "--tag", "2.0");
        Assert.NotEqual(0, deployTag.ExitCode);
        Assert.Contains($"is pinned to {Digest}", deployTag.Output, StringComparison.Ordinal);
        Assert.Contains("clusterctl app set web --tag 2.0", deployTag.Output, StringComparison.Ordinal);
        Assert.Empty(await _leader.DeploymentsAsync("web"));

        var autoSync = await _leader.CtlAsync(null, "app", "set", "web", "--auto-sync", "on");
        Assert.NotEqual(0, autoSync.ExitCode);
        Assert.Contains("never changes", autoSync.Output, StringComparison.Ordinal);

        var follow = await _leader.CtlAsync(null, "app", "set", "web", "--tag", "2.0", "--auto-sync", "on");
        Assert.True(follow.ExitCode == 0, follow.Output);
        var shown = (await _leader.CtlAsync(null, "app", "show", "web", "-o", "json")).Output;
        Assert.Contains("\"pinnedDigest\": null", shown, StringComparison.Ordinal);
        Assert.Contains("\"tag\": \"2.0\"", shown, StringComparison.Ordinal);
        Assert.Contains("\"autoSync\": true", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateWithDigestAndAutoSync_RefusedSayingWhyAndNothingCreated()
    {
        var before = (await _leader.AppsAsync()).Select(a => a.Name).ToList();

        var result = await _leader.CtlAsync(null, "app", "create", "synced", "--image", $"127.0.0.1:1/acme/web:1.0@{Digest}", "--auto-sync");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("a digest never changes", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, (await _leader.AppsAsync()).Select(a => a.Name).ToList());
    }
}
