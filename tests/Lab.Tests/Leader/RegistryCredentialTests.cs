using System.Text.Json;
using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Leader;

// `clusterctl registry ...` end to end: the real CLI, the real leader over TLS, the lab's real
// htpasswd registry. Each test has its own leader and its own registry user.
[Collection(LabCollection.Name)]
public sealed class RegistryCredentialTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _user = "u" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "pw-" + Guid.NewGuid().ToString("N");
    private LeaderProcess _leader = null!;

    public async Task InitializeAsync()
    {
        await Htpasswd.SetAsync(lab.Env, _user, _password);
        _leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket);
    }

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task Add_RightPassword_IsVerifiedListedAndShown()
    {
        var add = await AddAsync("lab", _password);
        Assert.True(add.Exit == 0, add.ToString());
        Assert.Contains("verified", add.Stdout, StringComparison.Ordinal);

        var list = await _leader.CtlAsync("registry", "list", "-o", "json");
        Assert.True(list.Exit == 0, list.ToString());
        using var doc = JsonDocument.Parse(list.Stdout);
        var entry = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("lab", entry.GetProperty("name").GetString());
        Assert.Equal("generic", entry.GetProperty("provider").GetString());
        Assert.Equal(lab.Env.Registry, entry.GetProperty("url").GetString());
        Assert.Equal(_user, entry.GetProperty("username").GetString());
        Assert.Equal(JsonValueKind.String, entry.GetProperty("verifiedAt").ValueKind);
        Assert.True(entry.GetProperty("revision").GetInt64() >= 1);

        var show = await _leader.CtlAsync("registry", "show", "lab", "-o", "json");
        Assert.True(show.Exit == 0, show.ToString());
        using var shown = JsonDocument.Parse(show.Stdout);
        Assert.Equal("lab", shown.RootElement.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, shown.RootElement.GetProperty("nodes").ValueKind);
    }

    [Fact]
    public async Task Add_WrongPassword_IsRefusedAndNothingIsStored()
    {
        var add = await AddAsync("lab", _password + "-wrong");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("unauthorized", add.Stderr, StringComparison.Ordinal);
        Assert.Contains(lab.Env.Registry, add.Stderr, StringComparison.Ordinal);
        Assert.Contains("not saved", add.Stderr, StringComparison.Ordinal);
        var list = await _leader.CtlAsync("registry", "list", "-o", "json");
        Assert.Equal("[]", list.Stdout.Trim());
    }

    [Fact]
    public async Task Rotation_PasswordChangedAtRegistry_VerifyFailsUntilUpdated()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        var before = await RevisionAsync("lab");

        var newPassword = "pw2-" + Guid.NewGuid().ToString("N");
        await Htpasswd.SetAsync(lab.Env, _user, newPassword);
        var stale = await _leader.CtlAsync("registry", "verify", "lab");
        Assert.NotEqual(0, stale.Exit);
        Assert.Contains("unauthorized", stale.Stderr, StringComparison.Ordinal);

        var wrongUpdate = await _leader.CtlWithStdinAsync("still-wrong\n", "registry", "update", "lab", "--password-stdin");
        Assert.NotEqual(0, wrongUpdate.Exit);
        Assert.Equal(before, await RevisionAsync("lab"));

        var update = await _leader.CtlWithStdinAsync(newPassword + "\n", "registry", "update", "lab", "--password-stdin");
        Assert.True(update.Exit == 0, update.ToString());
        Assert.True(await RevisionAsync("lab") > before);

        var verify = await _leader.CtlAsync("registry", "verify", "lab", "-o", "json");
        Assert.True(verify.Exit == 0, verify.ToString());
        using var doc = JsonDocument.Parse(verify.Stdout);
        Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Remove_Existing_IsGoneAndRevisionAdvances()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        Assert.Equal(0, (await AddAsync("lab2", _password)).Exit);
        var before = await RevisionAsync("lab2");

        var remove = await _leader.CtlAsync("registry", "remove", "lab");
        Assert.True(remove.Exit == 0, remove.ToString());

        var list = await _leader.CtlAsync("registry", "list", "-o", "json");
        using var doc = JsonDocument.Parse(list.Stdout);
        Assert.Equal(["lab2"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        var removedAt = ulong.Parse(remove.Stdout.Split("revision ")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((long)removedAt > before);

        var again = await _leader.CtlAsync("registry", "remove", "lab");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("no registry named 'lab'", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNoVerify_UnreachableRegistry_IsStoredUnverified()
    {
        var add = await _leader.CtlWithStdinAsync("whatever", "registry", "add", "far", "--provider", "generic", "--url", "10.77.0.254:5999", "--username", "x", "--password-stdin", "--no-verify");

        Assert.True(add.Exit == 0, add.ToString());
        var show = await _leader.CtlAsync("registry", "show", "far", "-o", "json");
        using var doc = JsonDocument.Parse(show.Stdout);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("verifiedAt").ValueKind);
    }

    [Theory]
    [InlineData("bogus", "10.77.0.254:5000", "unknown provider 'bogus'")]
    [InlineData("generic", "not a url", "is not a registry host")]
    [InlineData("ecr", "ghcr.io", "use --provider ghcr")]
    [InlineData("generic", "10.77.0.254:5999", "registry unreachable")]
    public async Task Add_BadInput_ClearErrorAndNothingStored(string provider, string url, string expected)
    {
        var add = await _leader.CtlWithStdinAsync(_password, "registry", "add", "bad", "--provider", provider, "--url", url, "--username", _user, "--password-stdin", "--insecure");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains(expected, add.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", add.Stderr, StringComparison.Ordinal);
        Assert.Equal("[]", (await _leader.CtlAsync("registry", "list", "-o", "json")).Stdout.Trim());
    }

    [Fact]
    public async Task Add_UnroutableHost_FailsWithinTheTimeoutNotHanging()
    {
        // Nothing answers at this lab address: the connect timeout must end the call.
        var add = await _leader.CtlWithStdinAsync(_password, "registry", "add", "bad", "--provider", "generic", "--url", "10.77.0.200:5000", "--username", _user, "--password-stdin", "--insecure");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("unreachable", add.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_EmptyHugeOrMissingPassword_IsRefused()
    {
        var empty = await _leader.CtlWithStdinAsync("\n", "registry", "add", "bad", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        Assert.NotEqual(0, empty.Exit);
        Assert.Contains("password is empty", empty.Stderr, StringComparison.Ordinal);

        var huge = await _leader.CtlWithStdinAsync(new string('x', 1024 * 1024), "registry", "add", "bad", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        Assert.NotEqual(0, huge.Exit);
        Assert.Contains("1048576 bytes", huge.Stderr, StringComparison.Ordinal);

        var missing = await _leader.CtlAsync("registry", "add", "bad", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user);
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("read from stdin only", missing.Stderr, StringComparison.Ordinal);

        Assert.Equal("[]", (await _leader.CtlAsync("registry", "list", "-o", "json")).Stdout.Trim());
    }

    [Fact]
    public async Task Add_DuplicateName_IsRefusedAndOriginalKept()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        var revision = await RevisionAsync("lab");

        var again = await AddAsync("lab", _password);

        Assert.NotEqual(0, again.Exit);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(revision, await RevisionAsync("lab"));
    }

    [Fact]
    public async Task LeaderRestart_BetweenOperations_LosesNothing()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        var revision = await RevisionAsync("lab");

        await _leader.RestartAsync();

        Assert.Equal(revision, await RevisionAsync("lab"));
        var verify = await _leader.CtlAsync("registry", "verify", "lab");
        Assert.True(verify.Exit == 0, verify.ToString());
        Assert.Equal(0, (await AddAsync("lab2", _password)).Exit);
        Assert.True(await RevisionAsync("lab2") > revision);
    }

    [Fact]
    public async Task Remove_CredentialUsedByApps_RefusedNamingThemUnlessForced()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        var create = await _leader.CtlAsync("app", "create", "web", "--image", $"{lab.Env.Registry}/acme/web:1.0.6", "--registry", "lab");
        Assert.True(create.Exit == 0, create.ToString());

        var refused = await _leader.CtlAsync("registry", "remove", "lab");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("used by app web", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await _leader.CtlAsync("registry", "show", "lab")).Exit);

        var forced = await _leader.CtlAsync("registry", "remove", "lab", "--force");
        Assert.True(forced.Exit == 0, forced.ToString());
        Assert.NotEqual(0, (await _leader.CtlAsync("registry", "show", "lab")).Exit);
    }

    [Fact]
    public async Task ConfigFile_PointsAtLeaderAndTokenFile_NoFlagsNeeded()
    {
        Assert.Equal(0, (await AddAsync("lab", _password)).Exit);
        var config = Path.Combine(Path.GetDirectoryName(_leader.DataDir)!, "clusterctl.conf");
        await File.WriteAllTextAsync(config, $"# written by install.sh\nleader={_leader.Address}\ntoken-file={Path.Combine(_leader.DataDir, "admin.token")}\n");
        Environment.SetEnvironmentVariable("CLUSTER_CONFIG", config);
        try
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var exit = await Cluster.Cli.ClusterCtl.RunAsync(["registry", "list", "-o", "json"], stdout, stderr, new StringReader(""));

            Assert.True(exit == 0, stderr.ToString());
            Assert.Contains("\"lab\"", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLUSTER_CONFIG", null);
        }
    }

    // Issue #13 item 10: the registry answered (wrong password), so --no-verify is not the fix.
    [Fact]
    public async Task Add_WrongPassword_HintFitsTheFailureNotNoVerify()
    {
        var add = await AddAsync("lab", _password + "-wrong");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("the registry answered and refused the login: check --username and the password or token", add.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("--no-verify", add.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_Unreachable_HintIsNoVerify()
    {
        var add = await _leader.CtlWithStdinAsync(_password, "registry", "add", "far", "--provider", "generic", "--url", "10.77.0.254:5999", "--username", _user, "--password-stdin", "--insecure");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("use --no-verify to store it unverified if the leader cannot reach this registry", add.Stderr, StringComparison.Ordinal);
    }

    // Issue #13 item 5: what users paste is stored as the registry host images are named with.
    [Theory]
    [InlineData("http://10.77.0.254:5000/v2/")]
    [InlineData("HTTPS://10.77.0.254:5000/v2")]
    [InlineData("10.77.0.254:5000/")]
    public async Task Add_PastedUrlSpelling_StoredAsTheRegistryHost(string url)
    {
        var add = await _leader.CtlWithStdinAsync(_password + "\n", "registry", "add", "lab", "--provider", "generic", "--url", url, "--username", _user, "--password-stdin", "--insecure");

        Assert.True(add.Exit == 0, add.ToString());
        var show = await _leader.CtlAsync("registry", "show", "lab", "-o", "json");
        using var doc = JsonDocument.Parse(show.Stdout);
        Assert.Equal(lab.Env.Registry, doc.RootElement.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Add_PlainHttpUrlWithoutInsecure_RefusedAtSaveTimeWithTheReason()
    {
        var add = await _leader.CtlWithStdinAsync(_password, "registry", "add", "lab", "--provider", "generic", "--url", $"http://{lab.Env.Registry}/v2/", "--username", _user, "--password-stdin");

        Assert.NotEqual(0, add.Exit);
        Assert.Contains("is plain HTTP; add --insecure", add.Stderr, StringComparison.Ordinal);
        Assert.Equal("[]", (await _leader.CtlAsync("registry", "list", "-o", "json")).Stdout.Trim());
    }

    // Issue #13 item 8: exactly one trailing newline (and a \r before it) is removed, as
    // `docker login --password-stdin` does; a second newline is part of the password.
    [Fact]
    public async Task Add_PasswordStdin_StripsExactlyOneTrailingNewline()
    {
        var crlf = await _leader.CtlWithStdinAsync(_password + "\r\n", "registry", "add", "crlf", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");
        var two = await _leader.CtlWithStdinAsync(_password + "\n\n", "registry", "add", "two", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");

        Assert.True(crlf.Exit == 0, crlf.ToString());
        Assert.NotEqual(0, two.Exit);
        Assert.Contains("unauthorized", two.Stderr, StringComparison.Ordinal);
    }

    // Issue #13 item 7: an entry without credentials declares a registry (here: a token registry
    // that allows anonymous pulls, over plain HTTP, so --insecure); a registry that requires a
    // login is refused saying that no credential is saved, not blaming TLS.
    [Fact]
    public async Task Add_WithoutCredentials_DeclaresTheRegistryOrSaysALoginIsNeeded()
    {
        var before = lab.Tokens.AnonymousGrants;
        lab.Tokens.AnonymousGrants = [TokenGrant.Pull("public/*")];
        try
        {
            var add = await _leader.CtlAsync("registry", "add", "pub", "--provider", "generic", "--url", lab.Env.TokenRegistry, "--insecure");
            Assert.True(add.Exit == 0, add.ToString());
            Assert.Contains("no credentials", add.Stdout, StringComparison.Ordinal);
            var show = await _leader.CtlAsync("registry", "show", "pub", "-o", "json");
            using var doc = JsonDocument.Parse(show.Stdout);
            Assert.Equal("", doc.RootElement.GetProperty("username").GetString());
            Assert.Equal(JsonValueKind.String, doc.RootElement.GetProperty("verifiedAt").ValueKind);
            var verify = await _leader.CtlAsync("registry", "verify", "pub");
            Assert.True(verify.Exit == 0, verify.ToString());
        }
        finally
        {
            lab.Tokens.AnonymousGrants = before;
        }

        var refused = await _leader.CtlAsync("registry", "add", "priv", "--provider", "generic", "--url", lab.Env.Registry, "--insecure");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains($"no credential saved for {lab.Env.Registry}", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("give --username and --password-stdin", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TLS", refused.Stderr, StringComparison.Ordinal);

        var update = await _leader.CtlWithStdinAsync("x", "registry", "update", "pub", "--password-stdin");
        Assert.NotEqual(0, update.Exit);
        Assert.Contains("has no credentials; to add them give both --username and --password-stdin", update.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> AddAsync(string name, string password) =>
        _leader.CtlWithStdinAsync(password + "\n", "registry", "add", name, "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure");

    private async Task<long> RevisionAsync(string name)
    {
        var show = await _leader.CtlAsync("registry", "show", name, "-o", "json");
        Assert.True(show.Exit == 0, show.ToString());
        using var doc = JsonDocument.Parse(show.Stdout);
        return doc.RootElement.GetProperty("revision").GetInt64();
    }
}
