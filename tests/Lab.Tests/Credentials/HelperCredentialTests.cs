using System.Text.Json;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Agents;
using Cluster.Lab.Tests.Fixture;
using Cluster.Lab.Tests.Leader;

namespace Cluster.Lab.Tests.Credentials;

// Issue #12 end to end: credentials of kind helper, the real leader running real helper programs
// (docker-credential-labrotate, see LabRotateHelper, and Debian's docker-credential-ecr-login),
// the lab's real htpasswd registry, real agents on the 3 lab nodes and the real CLI.
[Collection(LabCollection.Name)]
public sealed class HelperCredentialTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _app = "rot-" + Guid.NewGuid().ToString("N")[..8];
    private LabRotateHelper _helper = null!;

    public Task InitializeAsync()
    {
        _helper = LabRotateHelper.Install(lab.Env);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        try
        {
            await manager.Client.Swarm.RemoveServiceAsync(_app);
        }
        catch (global::Docker.DotNet.DockerApiException)
        {
            // not created by this test
        }

        _helper.Dispose();
    }

    [Fact]
    public async Task Rotation_EveryFewSeconds_AgentsAckEachRevisionChecksStayGreenDeployInTheMiddle()
    {
        await using var cluster = await AgentCluster.StartAsync(lab.Env, _helper.LeaderEnvironment, "--pre-pull-deadline", "60", "--converge-deadline", "90");
        var add = await AddAsync(cluster.Leader, "5s");
        Assert.True(add.Exit == 0, add.ToString());
        Assert.Contains("token from docker-credential-labrotate: expires", add.Stdout, StringComparison.Ordinal);
        var image = await PushAsync();
        Assert.Equal(0, (await cluster.Leader.CtlAsync("app", "create", _app, "--image", image, "--registry", "rot", "--replicas", "3")).Exit);

        var failedChecks = new List<string>();
        var revisions = new List<long> { (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64() };
        JsonElement? deployed = null;
        for (var rotation = 1; rotation <= 4; rotation++)
        {
            var previous = revisions[^1];
            await cluster.WaitAsync($"rotation {rotation} (a revision after {previous})", async () => (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64() > previous);
            var revision = (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64();
            revisions.Add(revision);
            await cluster.WaitAsync($"every agent acks revision {revision}", async () =>
                (await cluster.NodesAsync()).Count(n => n.GetProperty("credentialRevision").GetInt64() >= revision) == cluster.Nodes);
            await cluster.WaitAsync($"every node's own check of revision {revision} is ok", async () =>
            {
                var nodes = (await cluster.RegistryAsync("rot")).GetProperty("nodes").EnumerateArray().ToList();
                failedChecks.AddRange(nodes.Where(n => n.GetProperty("status").GetString() != "ok").Select(n => $"{n.GetProperty("node")}: {n.GetProperty("error")} (revision {n.GetProperty("revision")})"));
                return nodes.Count == cluster.Nodes && nodes.All(n => n.GetProperty("status").GetString() == "ok" && n.GetProperty("revision").GetInt64() >= revision);
            });

            if (rotation == 2)
            {
                // A deploy while the tokens keep rotating: resolve on the leader and pre-pulls on
                // every node use whatever revision is current at that moment.
                var deploy = await cluster.Leader.CtlAsync("deploy", _app, "-o", "json");
                Assert.True(deploy.Exit == 0, deploy.ToString());
                using var doc = JsonDocument.Parse(deploy.Stdout);
                deployed = doc.RootElement.Clone();
            }
        }

        Assert.Equal("succeeded", deployed!.Value.GetProperty("status").GetString());
        Assert.Empty(failedChecks);
        Assert.True(_helper.Calls >= 5, $"the helper ran {_helper.Calls} times");
        var show = await cluster.RegistryAsync("rot");
        Assert.Equal("labrotate", show.GetProperty("helper").GetString());
        Assert.Equal(JsonValueKind.String, show.GetProperty("expiresAt").ValueKind);
        Assert.Equal(JsonValueKind.String, show.GetProperty("nextRefresh").ValueKind);
        Assert.Equal(JsonValueKind.Null, show.GetProperty("lastRefreshError").ValueKind);

        // The oldest tokens really stopped working: the green checks came from the new ones.
        Assert.False(await WorksAsync(_helper.UserPrefix + "1", _helper.Tokens.First(t => t.StartsWith("lr-1-", StringComparison.Ordinal))));

        AssertNoSecretIn(cluster.Leader.Log, "the leader's log");
        AssertNoSecretIn(cluster.AllAgentLogs, "the agents' logs");
        foreach (var output in cluster.Leader.CliOutputs)
        {
            AssertNoSecretIn(output, "clusterctl output");
        }

        for (var node = 1; node <= cluster.Nodes; node++)
        {
            // Nothing that outlives a token keeps it: not the agents' state on the node's disk.
            foreach (var file in Directory.EnumerateFiles(cluster.StateDir(node), "*", SearchOption.AllDirectories))
            {
                AssertNoSecretIn(await File.ReadAllTextAsync(file), $"node {node}'s agent state file {file}");
            }
        }
    }

    [Fact]
    public async Task HelperFails_HangsExitsNonZeroOrPrintsGarbage_ClearRedactedErrorLastTokenKept()
    {
        await using var leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket, "127.0.0.1", _helper.LeaderEnvironment, "--credential-helper-timeout", "2");
        var add = await AddAsync(leader, "3s");
        Assert.True(add.Exit == 0, add.ToString());

        foreach (var (mode, expected) in new[]
        {
            ("fail", "docker-credential-labrotate get exited 1: labrotate: token service unavailable"),
            ("garbage", "not the credential-helper JSON"),
            ("hang", "did not answer within 2 s and was killed"),
        })
        {
            _helper.Mode(mode);
            await WaitAsync(leader, $"the {mode} helper's error in registry show", r => r.GetProperty("lastRefreshError").GetString()?.Contains(expected, StringComparison.Ordinal) == true);
            var failed = await ShowAsync(leader);
            var calls = _helper.Calls;
            var error = failed.GetProperty("lastRefreshError").GetString()!;
            Assert.DoesNotContain(LabRotateHelper.EnvSecret, error, StringComparison.Ordinal);
            Assert.DoesNotContain("labrotate-garbage-output", error, StringComparison.Ordinal);

            // The last good token is kept and still works; verify says both.
            var verify = await leader.CtlAsync("registry", "verify", "rot");
            Assert.NotEqual(0, verify.Exit);
            Assert.Contains(expected, verify.Stderr, StringComparison.Ordinal);
            Assert.Contains("the stored token still works", verify.Stderr, StringComparison.Ordinal);
            Assert.Equal(calls, _helper.Calls);
            Assert.Equal(failed.GetProperty("revision").GetInt64(), (await ShowAsync(leader)).GetProperty("revision").GetInt64());

            _helper.Mode(null);
            var before = failed.GetProperty("revision").GetInt64();
            await WaitAsync(leader, $"recovery after the {mode} helper", r => r.GetProperty("revision").GetInt64() > before && r.GetProperty("lastRefreshError").ValueKind == JsonValueKind.Null);
        }

        var text = await leader.CtlAsync("registry", "show", "rot");
        Assert.Contains("helper:     docker-credential-labrotate (with a sealed environment)", text.Stdout, StringComparison.Ordinal);
        AssertNoSecretIn(leader.Log, "the leader's log");
        foreach (var output in leader.CliOutputs)
        {
            AssertNoSecretIn(output, "clusterctl output");
        }
    }

    [Fact]
    public async Task StaticChanges_OnHelperCredential_RefusedWithWhatToDo()
    {
        await using var leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket, "127.0.0.1", _helper.LeaderEnvironment);
        Assert.Equal(0, (await AddAsync(leader, "60s")).Exit);

        var update = await leader.CtlWithStdinAsync("static-pw\n", "registry", "update", "rot", "--password-stdin");
        Assert.NotEqual(0, update.Exit);
        Assert.Contains("gets its secret from docker-credential-labrotate", update.Stderr, StringComparison.Ordinal);

        var both = await leader.CtlWithStdinAsync("x\n", "registry", "add", "rot2", "--provider", "generic", "--url", lab.Env.Registry, "--helper", "labrotate", "--password-stdin", "--insecure");
        Assert.NotEqual(0, both.Exit);
        Assert.Contains("leave out --password-stdin", both.Stderr, StringComparison.Ordinal);

        var tooFast = await leader.CtlAsync("registry", "add", "rot3", "--provider", "generic", "--url", lab.Env.Registry, "--helper", "labrotate", "--refresh-every", "1s", "--insecure");
        Assert.NotEqual(0, tooFast.Exit);
        Assert.Contains("between 2s and 30d", tooFast.Stderr, StringComparison.Ordinal);

        var missing = await leader.CtlAsync("registry", "add", "rot4", "--provider", "generic", "--url", lab.Env.Registry, "--helper", "nosuch", "--insecure");
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("docker-credential-nosuch is not on the leader's PATH", missing.Stderr, StringComparison.Ordinal);

        var rate = await leader.CtlAsync("registry", "update", "rot", "--refresh-every", "30s");
        Assert.True(rate.Exit == 0, rate.ToString());
        Assert.Contains("(every 30 s)", (await leader.CtlAsync("registry", "show", "rot")).Stdout, StringComparison.Ordinal);
        using var list = JsonDocument.Parse((await leader.CtlAsync("registry", "list", "-o", "json")).Stdout);
        Assert.Equal(["rot"], list.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task EcrLogin_RealHelperWithoutAwsAccess_FailsCleanlyNothingStoredNothingLeaked()
    {
        const string accessKey = "AKIAIOSFODNN7LABTEST";
        const string secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYLABTESTKEY";
        await using var leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket, "127.0.0.1", new Dictionary<string, string>(), "--credential-helper-timeout", "30");

        var add = await leader.CtlWithStdinAsync($"AWS_ACCESS_KEY_ID={accessKey}\nAWS_SECRET_ACCESS_KEY={secretKey}\nAWS_EC2_METADATA_DISABLED=true\n",
            "registry", "add", "ecr", "--provider", "ecr", "--url", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "--helper", "ecr-login", "--helper-env-stdin");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("registry 'ecr' not saved: docker-credential-ecr-login get", add.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("is not on the leader's PATH", add.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", add.Stderr, StringComparison.Ordinal);
        foreach (var text in new[] { add.Stdout + add.Stderr, leader.Log })
        {
            Assert.DoesNotContain(secretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(accessKey, text, StringComparison.Ordinal);
        }

        Assert.Equal("[]", (await leader.CtlAsync("registry", "list", "-o", "json")).Stdout.Trim());
    }

    [Fact]
    public async Task ProviderHints_EcrStaticPasswordAndAcrServicePrincipal_Explained()
    {
        await using var leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket);

        var ecr = await leader.CtlWithStdinAsync("static-ecr-password", "registry", "add", "ecr", "--provider", "ecr", "--url", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "--password-stdin", "--no-verify");
        Assert.True(ecr.Exit == 0, ecr.ToString());
        Assert.Contains("expires 12 h after it was issued", ecr.Stdout, StringComparison.Ordinal);
        Assert.Contains("--helper ecr-login", ecr.Stdout, StringComparison.Ordinal);

        var acr = await leader.CtlWithStdinAsync("sp-secret", "registry", "add", "acr", "--provider", "acr", "--url", "acme.azurecr.io", "--username", "3f0c5a8e-1d2b-4c6d-9e7f-0a1b2c3d4e5f", "--password-stdin", "--no-verify");
        Assert.True(acr.Exit == 0, acr.ToString());
        Assert.Contains("service principal's secret is static", acr.Stdout, StringComparison.Ordinal);
        Assert.Contains("no helper needed", acr.Stdout, StringComparison.Ordinal);

        var generic = await leader.CtlWithStdinAsync("pw", "registry", "add", "plain", "--provider", "generic", "--url", "10.77.0.254:5999", "--username", "u", "--password-stdin", "--no-verify");
        Assert.DoesNotContain("note:", generic.Stdout, StringComparison.Ordinal);
    }

    private Task<CliResult> AddAsync(LeaderProcess leader, string every) =>
        leader.CtlWithStdinAsync($"LABROTATE_KEY={LabRotateHelper.EnvSecret}\n", "registry", "add", "rot", "--provider", "generic", "--url", lab.Env.Registry,
            "--helper", "labrotate", "--helper-env-stdin", "--refresh-every", every, "--insecure");

    private static async Task<JsonElement> ShowAsync(LeaderProcess leader)
    {
        var show = await leader.CtlAsync("registry", "show", "rot", "-o", "json");
        Assert.True(show.Exit == 0, show.ToString());
        using var doc = JsonDocument.Parse(show.Stdout);
        return doc.RootElement.Clone();
    }

    private static async Task WaitAsync(LeaderProcess leader, string what, Func<JsonElement, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            last = await ShowAsync(leader);
            if (condition(last))
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"waited 60 s for {what}; registry show: {last}");
    }

    // Issue #12's test list: after the helper's token rotated (the token the deploy used no longer
    // works), a drained node's task starts on a worker whose copy of the image was removed: that
    // worker's agent pulls it again with the newest token (swarm holds no credential to do it).
    [Fact]
    public async Task TokensRotatedAfterDeploy_ImageRemovedOnTheOtherWorker_DrainedTaskStartsThere()
    {
        await using var cluster = await AgentCluster.StartAsync(lab.Env, _helper.LeaderEnvironment, "--pre-pull-deadline", "60", "--converge-deadline", "90");
        var add = await AddAsync(cluster.Leader, "5s");
        Assert.True(add.Exit == 0, add.ToString());
        var image = await PushAsync();
        Assert.Equal(0, (await cluster.Leader.CtlAsync("app", "create", _app, "--image", image, "--registry", "rot", "--constraint", "node.role==worker", "--replicas", "1")).Exit);
        var deploy = await cluster.Leader.CtlAsync("deploy", _app, "-o", "json");
        Assert.True(deploy.Exit == 0, deploy.ToString());
        using var deployed = JsonDocument.Parse(deploy.Stdout);
        var digest = deployed.RootElement.GetProperty("digest").GetString()!;
        var usedCalls = _helper.Calls;

        // Two more rotations, acknowledged by every agent: the deploy's token is dead by then.
        var revision = (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64();
        await cluster.WaitAsync("two rotations after the deploy", async () => (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64() >= revision + 2);
        var newest = (await cluster.RegistryAsync("rot")).GetProperty("revision").GetInt64();
        await cluster.WaitAsync($"every agent acks revision {newest}", async () =>
            (await cluster.NodesAsync()).Count(n => n.GetProperty("credentialRevision").GetInt64() >= newest) == cluster.Nodes);
        Assert.True(_helper.Calls > usedCalls + 1, $"the helper ran {_helper.Calls} times, {usedCalls} at the deploy");

        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        var nodes = await manager.ListSwarmNodesAsync(CancellationToken.None);
        var running = Assert.Single(await SwarmOps.RunningTasksAsync(manager, _app));
        var from = nodes.Single(n => n.Id == running.NodeID);
        var to = nodes.Single(n => n.Role == "worker" && n.Id != from.Id);
        var toNode = Enumerable.Range(1, lab.Env.Nodes).Single(i => lab.Env.NodeHostname(i) == to.Hostname);
        var repository = ImageReference.Parse(image).Name;
        using (var engine = new DockerEngine(lab.Env.NodeSocket(toNode)))
        {
            await engine.RemoveImageAsync($"{repository}@{digest}", CancellationToken.None);
        }

        try
        {
            await SwarmOps.SetAvailabilityAsync(manager, from.Id, "drain");
            await cluster.WaitAsync($"the task to run on {to.Hostname}", async () =>
            {
                var tasks = await SwarmOps.RunningTasksAsync(manager, _app);
                return tasks.Count == 1 && tasks[0].NodeID == to.Id && tasks[0].Spec!.ContainerSpec!.Image!.EndsWith("@" + digest, StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(120));
        }
        finally
        {
            await SwarmOps.SetAvailabilityAsync(manager, from.Id, "active");
        }

        AssertNoSecretIn(cluster.AllAgentLogs, "the agents' logs");
    }

    private async Task<string> PushAsync()
    {
        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        var image = ImageReference.Parse($"{lab.Env.Registry}/helpers/{_app}:v1");
        await manager.BuildImageAsync(TestImages.Context(Guid.NewGuid().ToString("N")), image.Canonical, null, CancellationToken.None);
        await manager.PushImageAsync(image, new RegistryLogin(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword), CancellationToken.None);
        return image.Canonical;
    }

    private async Task<bool> WorksAsync(string user, string password)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{lab.Env.Registry}/v2/");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    private void AssertNoSecretIn(string text, string where)
    {
        foreach (var secret in _helper.Tokens.Append(LabRotateHelper.EnvSecret).Append("labrotate-garbage-output"))
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"a secret leaked into {where}");
        }
    }
}
