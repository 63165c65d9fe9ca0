using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Agents;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;
using Cluster.Testing.Http;

namespace Cluster.Lab.Tests.AutoSync;

// Issue #11 on the lab: a real leader and agents, the real lab registry, a second real
// registry (OwnRegistry) for access-log counting and push notifications, and FaultProxy in front
// of the real registry (the nodes reach it through NodeForwarders). Waits are bounded by patience only; nothing asserts how fast.
[Collection(LabCollection.Name)]
public sealed class AutoSyncTests(LabFixture lab) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly string _user = "as" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "autosync-pw-" + Guid.NewGuid().ToString("N");
    private readonly List<string> _services = [];
    private readonly int _webhookPort = FreePort();
    private AgentCluster _cluster = null!;
    private DockerEngine _manager = null!;

    private string WebhookListen => $"{lab.Env.HostIp}:{_webhookPort}";

    public async Task InitializeAsync()
    {
        await Htpasswd.SetAsync(lab.Env, _user, _password);
        _cluster = await AgentCluster.StartAsync(lab.Env, "--pre-pull-deadline", "30", "--converge-deadline", "60", "--auto-sync-interval", "5s", "--webhook-listen", WebhookListen);
        _manager = new DockerEngine(lab.Env.ManagerSocket);
        await AddRegistryAsync("lab", lab.Env.Registry);
    }

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            try
            {
                await _manager.Client.Swarm.RemoveServiceAsync(service);
            }
            catch (global::Docker.DotNet.DockerApiException)
            {
                // never created
            }
        }

        await _cluster.DisposeAsync();
    }

    public void Dispose() => _manager?.Dispose();

    [Fact]
    public async Task RepushSameTag_UnchangedChecksDeployNothing_ThenAutoSyncDeploysTheNewDigest()
    {
        var app = App("repush");
        var repo = $"{lab.Env.Registry}/autosync-{_id}/repush";
        var v1 = await PushAsync(repo, "v1");
        await CreateAsync(app, $"{repo}:v1", "--sync-interval", "5s");
        Assert.Equal(v1, (await DeployAsync(app)).GetProperty("digest").GetString());

        // Two checks that find the same digest: "unchanged", and still only the manual deployment.
        var first = await WaitForCheckAsync(app, c => c.GetProperty("result").GetString() == "unchanged");
        await WaitForCheckAsync(app, c => c.GetProperty("result").GetString() == "unchanged" && c.GetProperty("at").GetString() != first.GetProperty("at").GetString());
        Assert.Single(await DeploymentsAsync(app));

        var v2 = await PushAsync(repo, "v1");
        Assert.NotEqual(v1, v2);
        var auto = await WaitForDeploymentAsync(app, d => d.GetProperty("digest").GetString() == v2 && d.GetProperty("status").GetString() != "running");

        Assert.Equal("succeeded", auto.GetProperty("status").GetString());
        Assert.Equal("auto-sync", auto.GetProperty("requestedBy").GetString());
        Assert.Equal("auto-sync", auto.GetProperty("trigger").GetString());
        Assert.Equal(v1, auto.GetProperty("previousDigest").GetString());
        Assert.Equal($"{repo}:v1@{v2}", (await _manager.Client.Swarm.InspectServiceAsync(app)).Spec!.TaskTemplate!.ContainerSpec!.Image);
        using var show = JsonDocument.Parse((await CtlOkAsync("app", "show", app, "-o", "json")).Stdout);
        Assert.Equal(v2, show.RootElement.GetProperty("digest").GetString());
        Assert.Equal(5u, show.RootElement.GetProperty("autoSyncInterval").GetUInt32());
        Assert.Equal(2, (await DeploymentsAsync(app)).Count);
    }

    [Fact]
    public async Task TwentyAppsOverFiveRefs_RegistryAccessLogShowsOneManifestRequestPerRefPerInterval()
    {
        await using var registry = await OwnRegistry.StartAsync(lab.Env);
        await AddRegistryAsync("own", registry.Host);
        var refs = Enumerable.Range(0, 5).Select(i => $"autosync-{_id}/shared{i}").ToList();
        foreach (var path in refs)
        {
            // Pushed through the lab registry; the own registry serves the same storage.
            await PushAsync($"{lab.Env.Registry}/{path}", "v1");
        }

        for (var i = 0; i < 20; i++)
        {
            await CreateAsync(App($"many{i}"), $"{registry.Host}/{refs[i % 5]}:v1", "--sync-interval", "5s");
        }

        // Until every ref was checked at least four times (three full intervals after the first).
        var until = DateTime.UtcNow + Patience;
        IReadOnlyList<(DateTimeOffset At, string Method, string Path, int Status)> requests;
        do
        {
            await Task.Delay(1000);
            requests = registry.ManifestRequests().Where(r => r.Status != 401).ToList();
        }
        while (DateTime.UtcNow < until && refs.Any(r => requests.Count(q => q.Path.Contains(r + "/", StringComparison.Ordinal)) < 4));

        var byRef = requests.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => g.Select(r => r.At).Order().ToList());
        Assert.Equal(5, byRef.Count);
        Assert.All(byRef.Values, times => Assert.True(times.Count >= 4, $"only {times.Count} checks"));
        Assert.All(requests, r => Assert.Equal("HEAD", r.Method));
        // One check per ref per interval, however many apps share it: consecutive requests for a
        // ref are an interval apart (5 s, at most 10 % earlier for jitter; the log has whole
        // seconds), never a burst of one request per app.
        foreach (var (path, times) in byRef)
        {
            var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
            Assert.True(gaps.All(g => g >= TimeSpan.FromSeconds(4)), $"{path}: requests {string.Join(", ", times.Select(t => t.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        using var list = JsonDocument.Parse((await CtlOkAsync("app", "list", "-o", "json")).Stdout);
        var many = list.RootElement.EnumerateArray().Where(a => a.GetProperty("name").GetString()!.StartsWith($"as{_id}-many", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, many.Count);
        Assert.All(many, a => Assert.True(a.GetProperty("autoSync").GetBoolean()));
        // Never deployed: checked, but Auto-Sync does not make the first deployment.
        Assert.All(many, a => Assert.Equal("not-deployed", a.GetProperty("lastCheck").GetProperty("result").GetString()));
    }

    [Fact]
    public async Task PushNotificationFromRegistry_StartsTheDeploymentRecordedAsWebhook()
    {
        using var added = JsonDocument.Parse((await CtlOkAsync("webhook", "add", "lab-push", "--kind", "registry", "-o", "json")).Stdout);
        // url is the path on the webhook listener; listenerUrl that path on the listener itself.
        Assert.Equal("/hooks/lab-push", added.RootElement.GetProperty("url").GetString());
        var url = new Uri(added.RootElement.GetProperty("listenerUrl").GetString()!);
        var secret = added.RootElement.GetProperty("secret").GetString()!;
        Assert.Equal("registry", added.RootElement.GetProperty("kind").GetString());
        Assert.Equal($"http://{WebhookListen}/hooks/lab-push", url.ToString());
        await using var registry = await OwnRegistry.StartAsync(lab.Env, url, secret);

        var app = App("pushed");
        var path = $"autosync-{_id}/pushed";
        var repo = $"{lab.Env.Registry}/{path}";
        var v1 = await PushAsync(repo, "v1");
        // Polling once an hour: only the notification can make this deployment happen soon.
        await CreateAsync(app, $"{repo}:v1", "--sync-interval", "1h");
        Assert.Equal(v1, (await DeployAsync(app)).GetProperty("digest").GetString());
        // No interval check comes first: a new ref's first check is spread over 10 % of its
        // interval (up to 6 min here), so only the notification below can cause one soon.

        // A new image, then its manifest pushed under v1 through the notifying registry.
        var next = await PushAsync(repo, "next");
        await CopyManifestAsync(registry.Host, path, "next", "v1");

        var deployment = await WaitForDeploymentAsync(app, d => d.GetProperty("digest").GetString() == next);
        Assert.Equal("webhook:lab-push", deployment.GetProperty("requestedBy").GetString());
        Assert.Equal("webhook", deployment.GetProperty("trigger").GetString());
        Assert.Equal(v1, deployment.GetProperty("previousDigest").GetString());
        var done = await WaitForDeploymentAsync(app, d => d.GetProperty("id").GetString() == deployment.GetProperty("id").GetString() && d.GetProperty("status").GetString() != "running");
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        using var hooks = JsonDocument.Parse((await CtlOkAsync("webhook", "list", "-o", "json")).Stdout);
        var hook = Assert.Single(hooks.RootElement.EnumerateArray());
        Assert.True(hook.GetProperty("lastDelivery").GetProperty("accepted").GetBoolean());
        Assert.DoesNotContain(secret, hooks.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, _cluster.Leader.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForgedWebhook_RefusedLoggedWithoutPayload_AndListenerServesNoAdminApi()
    {
        using var added = JsonDocument.Parse((await CtlOkAsync("webhook", "add", "gh", "--kind", "github", "-o", "json")).Stdout);
        // url is a path ("/hooks/gh"); new Uri() alone would read it as a file path on Linux.
        var url = new Uri($"http://{WebhookListen}{added.RootElement.GetProperty("url").GetString()}");
        var marker = "forged-payload-" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes($$$"""{"package":{"name":"{{{marker}}}"}}""");
        using var http = new HttpClient();

        using var forged = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        forged.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));
        using var refused = await http.SendAsync(forged);
        using var unsigned = await http.PostAsync(url, new ByteArrayContent(body));
        using var grpc = await http.PostAsync(new Uri($"http://{WebhookListen}/cluster.admin.v1.Apps/ListApps"), new ByteArrayContent([0, 0, 0, 0, 0]));
        using var unknown = await http.PostAsync(new Uri($"http://{WebhookListen}/hooks/nope"), new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, grpc.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var hooks = JsonDocument.Parse((await CtlOkAsync("webhook", "list", "-o", "json")).Stdout);
        var delivery = Assert.Single(hooks.RootElement.EnumerateArray()).GetProperty("lastDelivery");
        Assert.False(delivery.GetProperty("accepted").GetBoolean());
        Assert.Contains("X-Hub-Signature-256", delivery.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("webhook gh: delivery refused: bad X-Hub-Signature-256 signature", _cluster.Leader.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, _cluster.Leader.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegistryAnswers429_503_OrIsDown_NoDeployAppShowsFailureNextCheckWaitsAsTold()
    {
        await using var gate = await FaultProxy.StartAsync(new Uri($"http://{lab.Env.Registry}/"));
        await using var forwarders = await NodeForwarders.StartAsync(lab.Env, gate.Port);
        await AddRegistryAsync("gated", gate.Host);
        var faults = new[] { "limited", "unavailable", "down" };
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in faults)
        {
            var path = $"autosync-{_id}/{name}";
            first[name] = await PushAsync($"{lab.Env.Registry}/{path}", "v1");
            await CreateAsync(App(name), $"{gate.Host}/{path}:v1", "--sync-interval", "5s");
            Assert.Equal("succeeded", (await DeployAsync(App(name))).GetProperty("status").GetString());
        }

        // Faults first, then new digests under the same tag: only a check that got through could
        // see them.
        gate.Add(Limited()).Add(Unavailable()).Add(Down());
        foreach (var name in faults)
        {
            await PushAsync($"{lab.Env.Registry}/autosync-{_id}/{name}", "v1");
        }

        var limited = await WaitForCheckAsync(App("limited"), c => c.GetProperty("result").GetString() == "failed");
        var unavailable = await WaitForCheckAsync(App("unavailable"), c => c.GetProperty("result").GetString() == "failed");
        var down = await WaitForCheckAsync(App("down"), c => c.GetProperty("result").GetString() == "failed");
        // A second failed check of the 503 and down apps (backoff, not a one-off).
        await WaitForCheckAsync(App("unavailable"), c => c.GetProperty("result").GetString() == "failed" && c.GetProperty("at").GetString() != unavailable.GetProperty("at").GetString());
        await WaitForCheckAsync(App("down"), c => c.GetProperty("result").GetString() == "failed" && c.GetProperty("at").GetString() != down.GetProperty("at").GetString());

        Assert.Contains("rate limited", limited.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("503", unavailable.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains(gate.Host, down.GetProperty("error").GetString(), StringComparison.Ordinal);
        using (var show = JsonDocument.Parse((await CtlOkAsync("app", "show", App("limited"), "-o", "json")).Stdout))
        {
            var at = show.RootElement.GetProperty("lastCheck").GetProperty("at").GetDateTimeOffset();
            var next = show.RootElement.GetProperty("nextCheck").GetDateTimeOffset();
            Assert.True(next - at >= TimeSpan.FromSeconds(119), $"next check {next:O} after a 429 with Retry-After: 120 at {at:O}");
        }

        foreach (var name in faults)
        {
            var deployments = await DeploymentsAsync(App(name));
            Assert.Single(deployments);
            Assert.Equal(first[name], (await ShowAsync(App(name))).GetProperty("digest").GetString());
        }

        // The registry answers again: the change is found and deployed (the failure was never
        // taken for "no change").
        gate.ClearRules();
        gate.Add(Limited()).Add(Down());
        var recovered = await WaitForDeploymentAsync(App("unavailable"), d => d.GetProperty("digest").GetString() != first["unavailable"] && d.GetProperty("status").GetString() != "running");
        Assert.Equal("succeeded", recovered.GetProperty("status").GetString());
        Assert.Equal("auto-sync", recovered.GetProperty("trigger").GetString());
    }

    private string App(string name) => $"as{_id}-{name}";

    private bool Under(string path, string name) => path.Contains($"/autosync-{_id}/{name}/", StringComparison.Ordinal);

    private FaultRule Limited() =>
        FaultRule.Respond("429", (_, path) => Under(path, "limited"), 429, body: """{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}""", headers: ("Retry-After", "120"));

    private FaultRule Unavailable() => FaultRule.Respond("503", (_, path) => Under(path, "unavailable"), 503);

    private FaultRule Down() => FaultRule.AbortConnection("down", (_, path) => Under(path, "down"));

    private async Task AddRegistryAsync(string name, string url)
    {
        var add = await _cluster.Leader.CtlWithStdinAsync(_password, "registry", "add", name, "--provider", "generic", "--url", url, "--username", _user, "--password-stdin", "--insecure");
        Assert.True(add.Exit == 0, add.ToString());
    }

    private async Task CreateAsync(string app, string image, params string[] more)
    {
        _services.Add(app);
        var create = await _cluster.Leader.CtlAsync(["app", "create", app, "--image", image, "--constraint", "node.role==worker", "--auto-sync", .. more]);
        Assert.True(create.Exit == 0, create.ToString());
    }

    private async Task<JsonElement> DeployAsync(string app)
    {
        var deploy = await _cluster.Leader.CtlAsync("deploy", app, "-o", "json");
        Assert.True(deploy.Exit == 0, deploy.ToString());
        return JsonDocument.Parse(deploy.Stdout).RootElement.Clone();
    }

    private async Task<CliResult> CtlOkAsync(params string[] args)
    {
        var result = await _cluster.Leader.CtlAsync(args);
        Assert.True(result.Exit == 0, result.ToString());
        return result;
    }

    private async Task<JsonElement> ShowAsync(string app) =>
        JsonDocument.Parse((await CtlOkAsync("app", "show", app, "-o", "json")).Stdout).RootElement.Clone();

    private async Task<IReadOnlyList<JsonElement>> DeploymentsAsync(string app) =>
        [.. JsonDocument.Parse((await CtlOkAsync("deployment", "list", app, "-o", "json")).Stdout).RootElement.Clone().EnumerateArray()];

    private async Task<JsonElement> WaitForCheckAsync(string app, Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow + Patience;
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            var show = await ShowAsync(app);
            if (show.TryGetProperty("lastCheck", out last) && last.ValueKind == JsonValueKind.Object && done(last))
            {
                return last;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"app {app}: the expected check did not come within {Patience.TotalSeconds} s; last: {(last.ValueKind == JsonValueKind.Undefined ? "none" : last.GetRawText())}\nleader log tail:\n{Tail(_cluster.Leader.Log)}");
        return last;
    }

    private async Task<JsonElement> WaitForDeploymentAsync(string app, Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < until)
        {
            if ((await DeploymentsAsync(app)).FirstOrDefault(done) is { ValueKind: JsonValueKind.Object } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"app {app}: the expected deployment did not come within {Patience.TotalSeconds} s; app: {(await ShowAsync(app)).GetRawText()}\nleader log tail:\n{Tail(_cluster.Leader.Log)}");
        return default;
    }

    private async Task<string> PushAsync(string repository, string tag)
    {
        var image = ImageReference.Parse($"{repository}:{tag}");
        await _manager.BuildImageAsync(TestImages.Context(Guid.NewGuid().ToString("N")), image.Canonical, null, CancellationToken.None);
        return await _manager.PushImageAsync(image, new RegistryLogin(lab.Env.Registry, _user, _password), CancellationToken.None);
    }

    // GET the manifest of `from` and PUT it as `to`, through the given registry (a push event).
    private async Task CopyManifestAsync(string registry, string path, string from, string to)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_user}:{_password}")));
        using var get = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{registry}/v2/{path}/manifests/{from}"));
        get.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        get.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var manifest = await http.SendAsync(get);
        Assert.True(manifest.IsSuccessStatusCode, $"GET manifest: {(int)manifest.StatusCode}");
        var bytes = await manifest.Content.ReadAsByteArrayAsync();
        using var put = new ByteArrayContent(bytes);
        put.Headers.ContentType = manifest.Content.Headers.ContentType;
        using var pushed = await http.PutAsync(new Uri($"http://{registry}/v2/{path}/manifests/{to}"), put);
        Assert.True(pushed.IsSuccessStatusCode, $"PUT manifest: {(int)pushed.StatusCode} {await pushed.Content.ReadAsStringAsync()}");
    }

    private static string Tail(string log) => string.Join("\n", log.Split('\n').TakeLast(30));

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Any, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
