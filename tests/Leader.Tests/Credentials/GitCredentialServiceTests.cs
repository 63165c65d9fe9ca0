using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Hosting;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Tests.Support;
using Cluster.Testing;

namespace Cluster.Leader.Tests.Credentials;

// SSH Git credentials on a real data dir (LiteDB file, SecretBox keys) against a real sshd
// started here: host keys pinned from ssh-keyscan or an operator's known_hosts, the key sealed,
// every SSH spelling served by one prefix, refusals that say what to pass. Each test has its own
// data dir; the sshd and the deploy key are the class's (SshServerFixture), since the tests
// only scan that server. The one test that changes a host key starts its own server, and "no
// server there" is a port nothing listens on.
public sealed class GitCredentialServiceTests(SshServerFixture ssh) : IAsyncLifetime, IClassFixture<SshServerFixture>
{
    private readonly string _root = Directory.CreateTempSubdirectory("cluster-gitcred-test-").FullName;
    private readonly GitServer _server = ssh.Server;
    private readonly string _key = ssh.Key;
    private LeaderState _state = null!;
    private GitCredentialService _git = null!;

    private string Prefix => $"ssh://{_server.SshUser}@127.0.0.1:{_server.SshPort}/";

    public Task InitializeAsync()
    {
        _state = LeaderState.Open(Path.Combine(_root, "data"));
        _git = new GitCredentialService(_state.Database, _state.Secrets, new SshHostKeyScanner(TimeSpan.FromSeconds(5)), TimeProvider.System);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _state.Dispose();
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AddAsync_SshWithoutKnownHosts_PinsTheScannedKeyAndSealsThePrivateKey()
    {
        var view = await _git.AddAsync("deploy", Prefix, null, null, _key, null, "test", CancellationToken.None);

        var pinned = Assert.Single(view.HostKeys);
        Assert.Equal(_server.SshHostKeyFingerprint, pinned.Fingerprint);
        Assert.Equal($"[127.0.0.1]:{_server.SshPort}", pinned.Hosts);
        Assert.Equal(GitCredentialService.FromKeyscan, view.HostKeysSource);
        Assert.Equal("ssh", view.Kind);
        Assert.Equal(_server.SshUser, view.Username);
        Assert.StartsWith("SHA256:", view.KeyFingerprint, StringComparison.Ordinal);

        // Served to a build in either spelling, with the key and only that host's pinned key.
        foreach (var url in new[] { _server.SshUrl("app"), _server.ScpUrl("app") })
        {
            var credential = _git.For(url, "")!;
            Assert.Equal("deploy", credential.Name);
            Assert.Equal(_key.Trim() + "\n", credential.SshPrivateKey);
            Assert.Equal(_server.SshKnownHosts, credential.KnownHosts);
            Assert.Equal("", credential.Token);
        }

        // Sealed: not in the database file (data and log) nor in the audit.
        _state.Database.CheckpointAndSync();
        var stored = string.Concat(Directory.GetFiles(Path.Combine(_root, "data"), "*.db*").Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        foreach (var line in KeyLines(_key))
        {
            Assert.DoesNotContain(line, stored, StringComparison.Ordinal);
        }

        var audit = _state.Database.Read(d => d.Audit.FindAll().Select(a => a.Details).ToList());
        Assert.Contains(audit, a => a.Contains(_server.SshHostKeyFingerprint, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddAsync_KnownHostsFile_PinsOnlyTheHostsEntriesWithoutScanning()
    {
        var other = (await GitServer.NewSshKeyAsync()).PublicKey.Split(' ');
        var mine = _server.SshKnownHosts.Trim().Split(' ');
        // The host the file names has no server: nothing could be scanned, the file alone pins.
        var port = InProcessLeader.FreePort();
        var host = $"[127.0.0.1]:{port}";
        var file = $"# from the Git host's docs\ngithub.com {other[0]} {other[1]}\n{host},[localhost]:{port} {mine[1]} {mine[2]}\n";

        var view = await _git.AddAsync("pinned", $"ssh://git@127.0.0.1:{port}/org/", null, null, _key, file, "test", CancellationToken.None);

        var key = Assert.Single(view.HostKeys);
        Assert.Equal(GitCredentialService.FromKnownHostsFile, view.HostKeysSource);
        Assert.Equal(host, key.Hosts);
        Assert.Equal($"{host} {mine[1]} {mine[2]}\n", _git.For($"ssh://git@127.0.0.1:{port}/org/x.git", "")!.KnownHosts);
    }

    [Fact]
    public async Task AddAsync_KnownHostsWithoutTheHost_RefusedSayingHowToGetThem()
    {
        var other = (await GitServer.NewSshKeyAsync()).PublicKey.Split(' ');

        var e = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", Prefix, null, null, _key, $"github.com {other[0]} {other[1]}\n", "test", CancellationToken.None));

        Assert.Equal(OperationError.InvalidArgument, e.Error);
        Assert.Contains($"--known-hosts has no key for [127.0.0.1]:{_server.SshPort}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"ssh-keyscan -p {_server.SshPort} 127.0.0.1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_PassphraseProtectedOrPublicKey_RefusedAndNothingStored()
    {
        var (encrypted, publicKey) = await GitServer.NewSshKeyAsync(passphrase: "pass phrase");

        var locked = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", Prefix, null, null, encrypted, null, "test", CancellationToken.None));
        var pub = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", Prefix, null, null, publicKey, null, "test", CancellationToken.None));

        Assert.Equal(OperationError.InvalidArgument, locked.Error);
        Assert.Contains("protected by a passphrase", locked.Message, StringComparison.Ordinal);
        Assert.Contains("is a public key", pub.Message, StringComparison.Ordinal);
        Assert.Empty(_git.List());
    }

    [Fact]
    public async Task AddAsync_WrongSecretForTheTransportOrNoServer_SaysWhatToPass()
    {
        var token = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", "git@github.com:acme/", null, "tok", null, null, "test", CancellationToken.None));
        var key = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", "https://github.com/acme/", null, null, _key, null, "test", CancellationToken.None));
        var daemon = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", "git://github.com/acme/", null, "tok", null, null, "test", CancellationToken.None));
        var port = InProcessLeader.FreePort();
        var unreachable = await Assert.ThrowsAsync<OperationException>(() => _git.AddAsync("x", $"ssh://git@127.0.0.1:{port}/", null, null, _key, null, "test", CancellationToken.None));

        Assert.Contains("--ssh-key-file", token.Message, StringComparison.Ordinal);
        Assert.Contains("--token-stdin", key.Message, StringComparison.Ordinal);
        Assert.Contains("git:// serves public repositories", daemon.Message, StringComparison.Ordinal);
        Assert.Equal(OperationError.Unavailable, unreachable.Error);
        Assert.Contains($"cannot read the SSH host keys of [127.0.0.1]:{port}", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("--known-hosts FILE", unreachable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_PrefixesAndNames_MostSpecificServesAndMismatchesSayWhy()
    {
        await _git.AddAsync("host", Prefix, null, null, _key, null, "test", CancellationToken.None);
        await _git.AddAsync("org", $"[{_server.SshUser}@127.0.0.1:{_server.SshPort}]:{_server.Root.TrimStart('/')}/", null, null, _key, null, "test", CancellationToken.None);
        await _git.AddAsync("https", "https://git.example.com/", null, "tok", null, null, "test", CancellationToken.None);

        Assert.Equal("org", _git.For(_server.SshUrl("app"), "")!.Name);
        Assert.Equal("host", _git.For($"ssh://{_server.SshUser}@127.0.0.1:{_server.SshPort}/elsewhere/app.git", "")!.Name);
        Assert.Equal("tok", _git.For("https://git.example.com/a/b.git", "")!.Token);
        Assert.Null(_git.For("https://public.example.com/a/b.git", ""));
        var none = Assert.Throws<OperationException>(() => _git.For("git@gitlab.example.com:a/b.git", ""));
        Assert.Contains("no Git credential serves git@gitlab.example.com:a/b.git", none.Message, StringComparison.Ordinal);
        Assert.Contains("--ssh-key-file", none.Message, StringComparison.Ordinal);
        var kind = Assert.Throws<OperationException>(() => _git.For(_server.SshUrl("app"), "https"));
        Assert.Contains("is an HTTPS token, but the app's URL is SSH", kind.Message, StringComparison.Ordinal);
        var host = Assert.Throws<OperationException>(() => _git.CheckServes("host", "git@github.com:acme/web.git"));
        Assert.Contains($"pins the host keys of [127.0.0.1]:{_server.SshPort}, but the app's URL is on github.com", host.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_RescanAfterHostKeyChange_PinsTheNewKeyAndKeyRotationReseals()
    {
        // Its own server: the class's keeps its host key.
        await using var server = await GitServer.StartAsync("127.0.0.1");
        await server.StartSshAsync();
        var before = await _git.AddAsync("deploy", $"ssh://{server.SshUser}@127.0.0.1:{server.SshPort}/", null, null, _key, null, "test", CancellationToken.None);
        await server.ChangeSshHostKeyAsync();
        var (newKey, _) = await GitServer.NewSshKeyAsync();

        var after = await _git.UpdateAsync("deploy", null, newKey, null, rescan: true, "test", CancellationToken.None);
        KeyRotation.Rotate(_state.Secrets, _state.Database, "test");

        Assert.NotEqual(before.HostKeys[0].Fingerprint, after.HostKeys[0].Fingerprint);
        Assert.Equal(server.SshHostKeyFingerprint, after.HostKeys[0].Fingerprint);
        Assert.NotEqual(before.KeyFingerprint, after.KeyFingerprint);
        Assert.Equal(newKey.Trim() + "\n", _git.For(server.SshUrl("app"), "deploy")!.SshPrivateKey);
        var token = await Assert.ThrowsAsync<OperationException>(() => _git.UpdateAsync("deploy", "tok", null, null, false, "test", CancellationToken.None));
        Assert.Contains("not a token", token.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> KeyLines(string key) =>
        key.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal));
}

// One Git server with sshd and one deploy key for GitCredentialServiceTests: its tests read the
// server's host key and never change the server.
public sealed class SshServerFixture : IAsyncLifetime
{
    public GitServer Server { get; private set; } = null!;

    public string Key { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server = await GitServer.StartAsync("127.0.0.1");
        await Server.StartSshAsync();
        (Key, _) = await GitServer.NewSshKeyAsync();
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
