using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Daemons.Tests.Leader;

// Every kind of record the leader stores, written and read back through the leader binary users
// get: the native (NativeAOT) build when CLUSTER_TEST_LEADER names it, whose LiteDB mapping works
// only for what Storage/LiteDbTrimming.xml keeps (Leader.Tests' in-process JIT leader cannot see
// that). Each record is created through clusterctl (or, for nodes, the join API agents use),
// listed, and listed again after the leader stopped and started on the same data dir: a record
// the native build cannot write fails its command, one it cannot read back fails the second
// listing. There is no Docker engine: what needs one is said where it is left out.
public sealed class StoredRecordsRoundTripTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Records_EveryKind_ReadBackUnchangedAfterARestart()
    {
        var helperDir = Directory.CreateTempSubdirectory("cluster-helper-").FullName;
        try
        {
            await RoundTripAsync(helperDir);
        }
        finally
        {
            Directory.Delete(helperDir, recursive: true);
        }
    }

    private static async Task RoundTripAsync(string helperDir)
    {
        // A credential helper on the leader's PATH (kind "helper" credentials, issue #12): the
        // protocol's `get` answers a fixed token for any registry.
        var helper = Path.Combine(helperDir, "docker-credential-roundtrip");
        await File.WriteAllTextAsync(helper, "#!/bin/sh\ncat >/dev/null\nprintf '{\"ServerURL\":\"127.0.0.1:2\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret-value\"}\\n'\n");
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = helperDir + ":" + Environment.GetEnvironmentVariable("PATH");
        await using var leader = await LeaderProcessHost.StartAsync(new Dictionary<string, string> { ["PATH"] = path });

        // Registry credentials (CredentialRecord): static, anonymous and helper kinds; a
        // registry nobody listens on, so every one is stored unverified (--no-verify).
        await leader.CtlOkAsync("registry-password\n", "registry", "add", "hub", "--provider", "generic", "--url", "127.0.0.1:1/acme",
            "--username", "bot", "--password-stdin", "--no-verify", "--insecure");
        await leader.CtlOkAsync(null, "registry", "add", "public", "--provider", "generic", "--url", "127.0.0.1:3", "--no-verify");
        await leader.CtlOkAsync("push-password\n", "registry", "add", "pusher", "--provider", "generic", "--url", "127.0.0.1:4/builds",
            "--username", "pusher-bot", "--password-stdin", "--no-verify", "--push-only");
        await leader.CtlOkAsync("HELPER_SETTING=1\n", "registry", "add", "rotating", "--provider", "generic", "--url", "127.0.0.1:2",
            "--helper", "roundtrip", "--helper-env-stdin", "--refresh-every", "1h", "--no-verify");

        // Git credentials (GitCredentialRecord): an HTTPS token and an SSH key with pinned host keys.
        await leader.CtlOkAsync("git-token-value\n", "git", "add", "forge", "--url", "https://git.example.test/acme/", "--username", "builder", "--token-stdin");
        var (keyFile, knownHosts) = await SshFilesAsync(leader.Root);
        await leader.CtlOkAsync(null, "git", "add", "deploykey", "--url", "ssh://git@git.example.test:2222/acme/", "--ssh-key-file", keyFile, "--known-hosts", knownHosts);

        // Webhooks (WebhookRecord).
        await leader.CtlOkAsync(null, "webhook", "add", "pushes", "--kind", "github", "-o", "json");
        await leader.CtlOkAsync(null, "webhook", "add", "distribution", "--kind", "registry", "-o", "json");

        // Apps (AppRecord) from each source. Without an engine the leader cannot look for a
        // swarm service of the same name and defers that check to the deployment (--adopt needs
        // the engine, and is left out).
        await leader.CtlOkAsync(null, "app", "create", "web", "--image", "127.0.0.1:1/acme/web:1.2", "--registry", "hub", "--replicas", "2",
            "--constraint", "node.role==worker", "--env", "MODE=prod", "--env", "EMPTY=", "--publish", "8080:80", "--auto-sync", "--sync-interval", "90s");
        await leader.CtlOkAsync(null, "app", "create", "pinned", "--image", "127.0.0.1:1/acme/pinned:2.0@" + Digest);
        await leader.CtlOkAsync(null, "app", "create", "built", "--git", "https://git.example.test/acme/app.git", "--ref", "main", "--dockerfile", "build/Dockerfile",
            "--context", "src", "--target", "final", "--build-arg", "VERSION=3", "--git-credential", "forge", "--build-timeout", "90s");
        await leader.CtlOkAsync(null, "app", "create", "folder", "--from-dir", "--dockerfile", "Dockerfile.dev", "--build-arg", "FLAVOR=slim", "--build-timeout", "5m");

        // A deployment (DeploymentRecord, its steps and their enums): the registry does not
        // answer, so it fails at its first step and is kept with its steps and log. A successful
        // one, with per-node results (NodeStepRecord) and a build, needs an engine and a builder.
        var deploy = await leader.CtlAsync("deploy", "web", "-o", "json");
        Assert.True(deploy.ExitCode != 0, $"deploy without a registry or engine succeeded: {deploy}");
        var deploymentId = Assert.Single(Json(await leader.CtlOkAsync(null, "deployment", "list", "web", "-o", "json")).AsArray())!["id"]!.GetValue<string>();

        // Nodes (NodeRecord): an agent and a builder join as the binaries do (join token, CSR).
        // Node checks (NodeCheckRecord) are reported by a connected agent's session after a
        // credential verification on its engine, and the audit log has no reader: neither is
        // read back here. `cluster set-registry` (SettingsRecord) proves a push to the registry
        // and `cluster show` reads the engine's swarm nodes: both need more than this test has.
        await JoinAsync(leader, Role.Agent, "agent-host");
        await JoinAsync(leader, Role.Builder, "builder-host");

        var before = await ReadAllAsync(leader, deploymentId);
        AssertWhatWasGiven(before);

        await leader.StopAsync();
        await leader.StartAsync();

        var after = await ReadAllAsync(leader, deploymentId);
        foreach (var (name, view) in before)
        {
            Assert.True(JsonNode.DeepEquals(view, after[name]), $"{name} changed across the restart:\nbefore: {view}\nafter:  {after[name]}\n--- leader:\n{leader.Log}");
        }

        // Nothing secret ever reached the leader's log.
        foreach (var secret in new[] { "registry-password", "push-password", "helper-secret-value", "HELPER_SETTING", "git-token-value", "PRIVATE KEY" })
        {
            Assert.DoesNotContain(secret, leader.Log, StringComparison.Ordinal);
        }
    }

    // Each read command's JSON, by what it shows. Node fields that describe the session (status,
    // last seen) rather than the record are left out: the joined nodes never connect.
    private static async Task<Dictionary<string, JsonNode>> ReadAllAsync(LeaderProcessHost leader, string deploymentId)
    {
        var views = new Dictionary<string, JsonNode>
        {
            ["registry list"] = Json(await leader.CtlOkAsync(null, "registry", "list", "-o", "json")),
            ["git list"] = Json(await leader.CtlOkAsync(null, "git", "list", "-o", "json")),
            ["webhook list"] = Json(await leader.CtlOkAsync(null, "webhook", "list", "-o", "json")),
            ["app list"] = WithoutAutoSyncStatus(Json(await leader.CtlOkAsync(null, "app", "list", "-o", "json"))),
            ["deployment list web"] = Json(await leader.CtlOkAsync(null, "deployment", "list", "web", "-o", "json")),
            ["deployment show"] = Json(await leader.CtlOkAsync(null, "deployment", "show", deploymentId, "-o", "json")),
        };
        foreach (var registry in new[] { "hub", "public", "pusher", "rotating" })
        {
            views[$"registry show {registry}"] = Json(await leader.CtlOkAsync(null, "registry", "show", registry, "-o", "json"));
        }

        // `app show` leaves out the build settings (Git URL and ref, Dockerfile, context, target,
        // build arguments, Git credential, build deadline); Apps/GetApp, the rpc behind it, has
        // every field, so each app is read there too.
        using var admin = leader.Channel();
        var apps = new Apps.AppsClient(admin);
        var bearer = new Metadata { { "authorization", "Bearer " + leader.AdminToken } };
        foreach (var app in new[] { "web", "pinned", "built", "folder" })
        {
            views[$"app show {app}"] = WithoutAutoSyncStatus(Json(await leader.CtlOkAsync(null, "app", "show", app, "-o", "json")));
            var reply = await apps.GetAppAsync(new GetAppRequest { Name = app }, bearer, DateTime.UtcNow.AddSeconds(30));
            views[$"GetApp {app}"] = WithoutAutoSyncStatus(Json(JsonFormatter.Default.Format(reply)));
        }

        var nodes = Json(await leader.CtlOkAsync(null, "node", "list", "-o", "json"));
        foreach (var node in nodes.AsArray())
        {
            node!.AsObject().Remove("status");
            node.AsObject().Remove("lastSeen");
        }

        views["node list"] = nodes;
        return views;
    }

    // The values given above, in the views: a field the record lost (or never stored) fails
    // here even when it reads back the same after the restart.
    private static void AssertWhatWasGiven(Dictionary<string, JsonNode> views)
    {
        var hub = views["registry show hub"];
        Assert.Equal("127.0.0.1:1/acme", (string?)hub["url"]);
        Assert.Equal("bot", (string?)hub["username"]);
        Assert.True((bool?)hub["insecure"], hub.ToJsonString());
        // Whether a credential is push-only is not in any view (clusterctl does not show it).
        Assert.Equal("pusher-bot", (string?)views["registry show pusher"]["username"]);
        var rotating = views["registry show rotating"];
        Assert.Equal(("roundtrip", "helper-user"), ((string?)rotating["helper"], (string?)rotating["username"]));
        Assert.NotNull((string?)rotating["lastRefreshAt"]);
        Assert.Equal(4, views["registry list"].AsArray().Count);

        var git = views["git list"].AsArray();
        var forge = git.Single(g => (string?)g!["name"] == "forge")!;
        Assert.Equal(("https", "https://git.example.test/acme/", "builder"), ((string?)forge["kind"], (string?)forge["url"], (string?)forge["username"]));
        var deployKey = git.Single(g => (string?)g!["name"] == "deploykey")!;
        Assert.Equal("ssh", (string?)deployKey["kind"]);
        Assert.Equal("known-hosts", (string?)deployKey["hostKeysSource"]);
        Assert.StartsWith("SHA256:", (string?)deployKey["keyFingerprint"], StringComparison.Ordinal);
        Assert.NotEmpty(deployKey["hostKeys"]!.AsArray());

        var hooks = views["webhook list"].AsArray();
        Assert.Equal(["distribution", "pushes"], hooks.Select(h => (string)h!["name"]!).Order(StringComparer.Ordinal));
        Assert.Equal("github", (string?)hooks.Single(h => (string?)h!["name"] == "pushes")!["kind"]);

        var web = views["app show web"];
        Assert.Equal(("1.2", 2, "hub", true, 90), ((string?)web["tag"], (int?)web["replicas"], (string?)web["registry"], (bool?)web["autoSync"], (int?)web["syncInterval"]));
        Assert.Equal(["node.role==worker"], web["constraints"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(["8080:80"], web["publish"]!.AsArray().Select(p => (string)p!));
        // "" stays "" (the mapper is told not to store empty strings as null).
        Assert.Equal(("prod", ""), ((string?)web["env"]?["MODE"], (string?)web["env"]?["EMPTY"]));
        Assert.Equal(Digest, (string?)views["app show pinned"]["pinnedDigest"]);
        var built = views["GetApp built"];
        Assert.Equal("git", (string?)views["app show built"]["source"]);
        Assert.Equal(
            ("https://git.example.test/acme/app.git", "main", "build/Dockerfile", "src", "final", "forge", 90),
            ((string?)built["gitUrl"], (string?)built["gitRef"], (string?)built["dockerfile"], (string?)built["contextDir"], (string?)built["targetStage"], (string?)built["gitCredential"], (int?)built["buildTimeoutSeconds"]));
        Assert.Equal("3", (string?)built["buildArgs"]?["VERSION"]);

        var folder = views["GetApp folder"];
        Assert.Equal("dir", (string?)views["app show folder"]["source"]);
        Assert.Equal(("Dockerfile.dev", "slim", 300), ((string?)folder["dockerfile"], (string?)folder["buildArgs"]?["FLAVOR"], (int?)folder["buildTimeoutSeconds"]));

        var deployment = views["deployment show"];
        Assert.Equal("failed", (string?)deployment["status"]);
        Assert.Equal("manual", (string?)deployment["trigger"]);
        var step = Assert.Single(deployment["steps"]!.AsArray())!;
        Assert.Equal(("resolve", "failed"), ((string?)step["name"], (string?)step["status"]));
        Assert.Contains("127.0.0.1:1", (string?)deployment["error"], StringComparison.Ordinal);
        Assert.NotEmpty(deployment["log"]!.AsArray());

        var nodes = views["node list"].AsArray();
        Assert.Equal(["agent-host", "builder-host"], nodes.Select(n => (string)n!["hostname"]!).Order(StringComparer.Ordinal));
        Assert.Equal("builder", (string?)nodes.Single(n => (string?)n!["hostname"] == "builder-host")!["role"]);
    }

    // The Auto-Sync check's outcome and next time are the checker's state, not the app record's:
    // web's first check runs (and fails: no registry) whenever the leader's timer says.
    private static JsonNode WithoutAutoSyncStatus(JsonNode view)
    {
        foreach (var app in view is JsonArray list ? list.Select(a => a!) : [view])
        {
            app.AsObject().Remove("lastCheck");
            app.AsObject().Remove("nextCheck");
        }

        return view;
    }

    private static JsonNode Json(string stdout) =>
        JsonNode.Parse(stdout) ?? throw new JsonException("clusterctl printed JSON null");

    // An ed25519 deploy key and a known_hosts line for the SSH credential's host and port.
    private static async Task<(string KeyFile, string KnownHosts)> SshFilesAsync(string dir)
    {
        var key = Path.Combine(dir, "deploy_key");
        var generate = await Cluster.Testing.ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "roundtrip", "-f", key], TimeSpan.FromSeconds(30));
        Assert.True(generate.ExitCode == 0, generate.ToString());
        var knownHosts = Path.Combine(dir, "known_hosts");
        var hostKey = (await File.ReadAllTextAsync(key + ".pub")).Split(' ');
        await File.WriteAllTextAsync(knownHosts, $"[git.example.test]:2222 {hostKey[0]} {hostKey[1]}\n");
        return (key, knownHosts);
    }

    // Enrollment/Join as cluster-agent and cluster-builder call it: join token as bearer, the
    // leader's certificate pinned by the token's CA fingerprint.
    private static async Task JoinAsync(LeaderProcessHost leader, Role role, string hostname)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=node", key, HashAlgorithmName.SHA256);
        using var channel = leader.Channel();
        var response = await new Enrollment.EnrollmentClient(channel).JoinAsync(
            new JoinRequest { Role = role, MachineId = Guid.NewGuid().ToString("N"), Hostname = hostname, CsrDer = ByteString.CopyFrom(csr.CreateSigningRequest()) },
            new Metadata { { "authorization", "Bearer " + leader.JoinToken } }, DateTime.UtcNow.AddSeconds(30));
        Assert.NotEmpty(response.NodeId);
    }
}
