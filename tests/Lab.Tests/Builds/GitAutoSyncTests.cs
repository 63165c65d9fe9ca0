using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Builds;

// Issue #11 for apps built from Git, on the lab's real 3-node swarm: a real cluster-builder on
// node 1 reads the branch head (git ls-remote) from the real Git server, and a pushed commit is
// built, pushed to the lab registry, pre-pulled and rolled out by Auto-Sync alone.
[Collection(LabCollection.Name)]
public sealed class GitAutoSyncTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    // The leader's shortened interval (--auto-sync-interval 5s, and the app's own 5s).
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly string _app = "gs-" + Guid.NewGuid().ToString("N")[..8];
    private BuildCluster _cluster = null!;
    private DockerEngine _manager = null!;

    public async Task InitializeAsync()
    {
        _cluster = await BuildCluster.StartAsync(lab.Env, "--pre-pull-deadline", "60", "--converge-deadline", "60", "--auto-sync-interval", "5s");
        _manager = new DockerEngine(lab.Env.ManagerSocket);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _manager.Client.Swarm.RemoveServiceAsync(_app);
        }
        catch (global::Docker.DotNet.DockerApiException)
        {
            // not created
        }

        await _cluster.DisposeAsync();
    }

    public void Dispose() => _manager?.Dispose();

    [Fact]
    public async Task GitAppWithAutoSync_UnchangedHeadDeploysNothing_NewCommitOnTheBranchIsBuiltAndDeployedWithinOneInterval()
    {
        await _cluster.UseLabRegistryAsync();
        // A private repository over smart HTTP: the check reads the head with the app's stored token.
        var git = _cluster.Git;
        git.HttpToken = "gs-token-" + Guid.NewGuid().ToString("N");
        BuildCluster.Check(await _cluster.Leader.CtlWithStdinAsync(git.HttpToken, "git", "add", "lab-http", "--url", $"http://{git.Address}:{git.HttpPort}/", "--username", git.HttpUser, "--token-stdin"));
        var v1 = await _cluster.CommitAppAsync("synced", "main", "v1");
        BuildCluster.Check(await _cluster.Leader.CtlAsync("app", "create", _app, "--git", git.HttpUrl("synced"), "--ref", "main", "--git-credential", "lab-http",
            "--constraint", "node.role==worker", "--auto-sync", "--sync-interval", "5s"));
        var (first, deployment) = await _cluster.DeployAsync(_app);
        Assert.True(first.Exit == 0, $"{first}\nbuilder:\n{_cluster.Builder.Output}");

        // Two checks of the unchanged head: "unchanged", with the commit the app runs, and no deployment.
        var seen = await WaitForCheckAsync(c => Is(c, "result", "unchanged") && Is(c, "commit", v1));
        await WaitForCheckAsync(c => Is(c, "result", "unchanged") && c.GetProperty("at").GetString() != seen.GetProperty("at").GetString());
        Assert.Single(await DeploymentsAsync());

        // A new commit on the branch: built and deployed by Auto-Sync, started within one interval
        // of the push (plus a little for the check itself) and succeeding.
        var pushedAt = DateTimeOffset.UtcNow;
        var v2 = await _cluster.CommitAppAsync("synced", "main", "v2");
        var auto = await WaitForDeploymentAsync(d => d.GetProperty("id").GetString() != deployment.GetProperty("id").GetString() && !Is(d, "status", "running"));
        using var shown = JsonDocument.Parse((await CtlOkAsync("deployment", "show", auto.GetProperty("id").GetString()!, "-o", "json")).Stdout);
        var d2 = shown.RootElement;
        Assert.True(Is(d2, "status", "succeeded"), $"{d2.GetRawText()}\nbuilder:\n{_cluster.Builder.Output}");
        Assert.Equal("auto-sync", d2.GetProperty("trigger").GetString());
        Assert.Equal("auto-sync", d2.GetProperty("requestedBy").GetString());
        Assert.Equal(v2, d2.GetProperty("build").GetProperty("commit").GetString());
        var started = DateTimeOffset.Parse(d2.GetProperty("startedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(started - pushedAt <= Interval + TimeSpan.FromSeconds(5), $"the deployment started {(started - pushedAt).TotalSeconds:0.0} s after the push");
        var digest = d2.GetProperty("digest").GetString()!;
        Assert.Equal($"{_cluster.Namespace}/{_app}:{v2[..12]}@{digest}", (await _manager.Client.Swarm.InspectServiceAsync(_app)).Spec!.TaskTemplate!.ContainerSpec!.Image);

        // The new head is now the running one: later checks find it unchanged and deploy nothing.
        var after = await WaitForCheckAsync(c => Is(c, "result", "unchanged") && Is(c, "commit", v2));
        await WaitForCheckAsync(c => Is(c, "result", "unchanged") && c.GetProperty("at").GetString() != after.GetProperty("at").GetString());
        Assert.Equal(2, (await DeploymentsAsync()).Count);

        // The token went to the Git server as the basic-auth header, never into an output.
        Assert.DoesNotContain(git.HttpToken, _cluster.Leader.Log + _cluster.Builder.Output, StringComparison.Ordinal);
    }

    private static bool Is(JsonElement e, string property, string value) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == value;

    private async Task<CliResult> CtlOkAsync(params string[] args)
    {
        var result = await _cluster.Leader.CtlAsync(args);
        Assert.True(result.Exit == 0, result.ToString());
        return result;
    }

    private async Task<IReadOnlyList<JsonElement>> DeploymentsAsync() =>
        [.. JsonDocument.Parse((await CtlOkAsync("deployment", "list", _app, "-o", "json")).Stdout).RootElement.Clone().EnumerateArray()];

    private async Task<JsonElement> WaitForCheckAsync(Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow + Patience;
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            using var show = JsonDocument.Parse((await CtlOkAsync("app", "show", _app, "-o", "json")).Stdout);
            if (show.RootElement.TryGetProperty("lastCheck", out var check) && check.ValueKind == JsonValueKind.Object)
            {
                last = check.Clone();
                if (done(last))
                {
                    return last;
                }
            }

            await Task.Delay(250);
        }

        Assert.Fail($"app {_app}: the expected check did not come within {Patience.TotalSeconds} s; last: {(last.ValueKind == JsonValueKind.Undefined ? "none" : last.GetRawText())}\nbuilder:\n{_cluster.Builder.Output}");
        return last;
    }

    private async Task<JsonElement> WaitForDeploymentAsync(Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < until)
        {
            if ((await DeploymentsAsync()).FirstOrDefault(done) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"app {_app}: no Auto-Sync deployment within {Patience.TotalSeconds} s\nbuilder:\n{_cluster.Builder.Output}");
        return default;
    }
}
