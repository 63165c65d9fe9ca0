using Cluster.Core.Docker;
using Cluster.Core.Security;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Session;
using Cluster.NodeAgent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.NodeAgent.Tests.Identity;

// Which identity a session uses. No leader listens at the configured address, so any join
// attempt fails as "unreachable": that is how these tests see whether one was made.
public sealed class IdentityManagerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly EngineInfo Engine = new("ENGINE-ID", "node-1", "20.10.24", "amd64", null, false);

    private readonly TestPki _pki = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("agent-identity-mgr-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly IdentityStore _store;
    private readonly IdentityManager _manager;
    private readonly ClusterToken _token;

    public IdentityManagerTests()
    {
        _store = new IdentityStore(_dir);
        var options = new AgentOptions
        {
            Leader = "127.0.0.1:1",
            JoinToken = _pki.JoinToken,
            StateDir = _dir,
            DockerHost = new Uri("unix:///x.sock"),
            CallTimeout = TimeSpan.FromSeconds(5),
        };
        _manager = new IdentityManager(_store, new Enroller(options, _store, TimeProvider.System), _time, NullLogger<IdentityManager>.Instance);
        Assert.True(ClusterToken.TryParse(_pki.JoinToken, out var token, out _));
        _token = token;
    }

    [Fact]
    public async Task AcquireAsync_ValidStoredIdentity_UsedWithoutJoining()
    {
        Store(Start.AddDays(-1), Start.AddDays(89));

        var identity = await _manager.AcquireAsync(_token, Engine, CancellationToken.None);

        Assert.Equal("node-1", identity.NodeId);
    }

    [Fact]
    public async Task AcquireAsync_NoIdentity_Joins()
    {
        var failure = await Assert.ThrowsAsync<SessionFailure>(() => _manager.AcquireAsync(_token, Engine, CancellationToken.None));

        Assert.Equal(SessionFailureKind.LeaderUnreachable, failure.Kind);
    }

    [Fact]
    public async Task AcquireAsync_ExpiredIdentity_JoinsInsteadOfUsingIt()
    {
        Store(Start.AddDays(-91), Start.AddDays(-1));

        await Assert.ThrowsAsync<SessionFailure>(() => _manager.AcquireAsync(_token, Engine, CancellationToken.None));
    }

    [Fact]
    public async Task AcquireAsync_IdentityFromAnotherCluster_JoinsTheOneTheTokenPins()
    {
        Store(Start.AddDays(-1), Start.AddDays(89));
        using var other = new TestPki();
        Assert.True(ClusterToken.TryParse(other.JoinToken, out var otherToken, out _));

        await Assert.ThrowsAsync<SessionFailure>(() => _manager.AcquireAsync(otherToken, Engine, CancellationToken.None));
    }

    [Fact]
    public async Task AcquireAsync_RenewalDueButJoinFails_KeepsUsingTheCurrentCertificate()
    {
        Store(Start.AddDays(-70), Start.AddDays(20));

        var identity = await _manager.AcquireAsync(_token, Engine, CancellationToken.None);

        Assert.Equal("node-1", identity.NodeId);
        Assert.True(File.Exists(_store.CertificateFile));
    }

    [Fact]
    public async Task TryRenewAsync_FailedRecently_WaitsBeforeTryingAgain()
    {
        Store(Start.AddDays(-70), Start.AddDays(20));
        Assert.True(_store.TryLoad(out var current, out _));
        Assert.Null(await _manager.TryRenewAsync(current, CancellationToken.None));

        // Within the retry interval no join is attempted at all (nothing to fail on).
        _time.Advance(IdentityManager.RenewalRetry - TimeSpan.FromSeconds(1));
        var quick = _manager.TryRenewAsync(current, CancellationToken.None);
        Assert.True(quick.IsCompleted);
        Assert.Null(await quick);
    }

    [Fact]
    public async Task AcquireAsync_ValidIdentityAndNoJoinToken_UsedWithoutJoining()
    {
        Store(Start.AddDays(-1), Start.AddDays(89));

        var identity = await _manager.AcquireAsync(null, Engine, CancellationToken.None);

        Assert.Equal("node-1", identity.NodeId);
    }

    [Fact]
    public async Task AcquireAsync_NoIdentityAndNoJoinToken_NotJoinedNamingTheTokenFile()
    {
        var failure = await Assert.ThrowsAsync<SessionFailure>(() => _manager.AcquireAsync(null, Engine, CancellationToken.None));

        Assert.Equal(SessionFailureKind.NotJoined, failure.Kind);
        Assert.Contains("join.token", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forget_KeepsTheEnrollmentId()
    {
        var id = _store.EnrollmentId();
        Store(Start.AddDays(-1), Start.AddDays(89));

        _manager.Forget("refused");

        Assert.Equal(id, _store.EnrollmentId());
    }

    [Fact]
    public void Forget_RevokedIdentity_DeletesItSoTheNextSessionJoins()
    {
        Store(Start.AddDays(-1), Start.AddDays(89));

        _manager.Forget("refused");

        Assert.False(_store.TryLoad(out _, out var problem));
        Assert.Equal(IdentityStatus.Missing, problem!.Status);
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private void Store(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var (der, key) = _pki.Issue(notBefore, notAfter);
        using (key)
        {
            _store.Save("node-1", key, der, _pki.Ca.RawData);
        }
    }
}
