using Cluster.Core.Registry;
using Cluster.Leader.ClusterConfig;
using Cluster.Leader.Credentials;
using Cluster.Leader.Credentials.Helpers;
using Cluster.Leader.Hosting;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Credentials.Helpers;

// The leader's credential service, helper credentials and refresher in-process, on a real LiteDB
// and SecretBox in a temp dir and real helper programs; time is a FakeTimeProvider, so "due in
// 10 s" happens when the test says so. Registry verification is off (--no-verify): the lab tests
// cover the registry side.
public sealed class HelperRefresherTests : IAsyncLifetime, IDisposable
{
    private readonly TestHelpers _helpers = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly List<CredentialChange> _changes = [];
    private LeaderState _state = null!;
    private CredentialService _credentials = null!;
    private HelperCredentials _helperCredentials = null!;
    private HelperRefresher _refresher = null!;

    public Task InitializeAsync()
    {
        // Each run prints the next token: tok-1, tok-2, ... unless the file "fail" exists.
        var counter = Path.Combine(_helpers.Dir, "counter");
        var fail = Path.Combine(_helpers.Dir, "fail");
        _helpers.Install("rotate", $"if [ -e {fail} ]; then echo \"backend down, last key $AWS_SECRET_ACCESS_KEY\" >&2; exit 1; fi; n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; printf '{{\"Username\":\"bot\",\"Secret\":\"tok-%s\"}}' $n");
        _state = LeaderState.Open(Path.Combine(_helpers.Dir, "data"));
        var options = new HelperOptions { SearchPath = _helpers.SearchPath, Timeout = TimeSpan.FromSeconds(20) };
        _credentials = new CredentialService(_state.Database, _state.Secrets, new RegistryClient(time: _time), new Cluster.Leader.Storage.ClusterSettings(_state.Database), new Cluster.Leader.Apps.AppCredentialUsers(_state.Database), _time, NullLogger<CredentialService>.Instance);
        _credentials.Changed += c => { lock (_changes) { _changes.Add(c); } };
        _helperCredentials = new HelperCredentials(_state.Database, _state.Secrets, _credentials,
            new CredentialHelperRunner(options, _time, NullLogger<CredentialHelperRunner>.Instance), options, _time, NullLogger<HelperCredentials>.Instance);
        _refresher = new HelperRefresher(_helperCredentials, options, _time, NullLogger<HelperRefresher>.Instance);
        return Task.CompletedTask;
    }

    // xunit calls DisposeAsync, then Dispose.
    public async Task DisposeAsync() => await _refresher.StopAsync(CancellationToken.None);

    public void Dispose()
    {
        _refresher.Dispose();
        _credentials.Dispose();
        _state.Dispose();
        _helpers.Dispose();
    }

    [Fact]
    public async Task Refresher_EachPeriod_NewRevisionWithTheNewTokenAnnounced()
    {
        var added = await AddAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("tok-1", Secret());
        Assert.Equal("bot", added.Username);
        await _refresher.StartAsync(CancellationToken.None);

        var revisions = new List<long> { added.Revision };
        for (var i = 2; i <= 4; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            await WaitAsync(() => Secret() == $"tok-{i}", TimeSpan.FromSeconds(10));
            revisions.Add(_credentials.Get("ecr").Revision);
        }

        Assert.Equal(revisions.Order(), revisions);
        Assert.Equal(4, revisions.Distinct().Count());
        lock (_changes)
        {
            // Every new token went out on the same event `registry update` raises.
            Assert.Equal(revisions, _changes.Where(c => c.Name == "ecr").Select(c => c.Revision));
        }

        var state = _credentials.Get("ecr").Helper!;
        Assert.Equal(_time.GetUtcNow().UtcDateTime.AddSeconds(10), state.NextRefreshAt);
        Assert.Null(state.LastRefreshError);
    }

    [Fact]
    public async Task Refresher_HelperFails_KeepsTheLastTokenReportsRedactedAndRecovers()
    {
        var added = await AddAsync(TimeSpan.FromSeconds(10));
        await _refresher.StartAsync(CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(_helpers.Dir, "fail"), "");

        _time.Advance(TimeSpan.FromSeconds(10));
        await WaitAsync(() => _credentials.Get("ecr").Helper!.LastRefreshError is not null, TimeSpan.FromSeconds(10));

        var failed = _credentials.Get("ecr");
        Assert.Equal("tok-1", Secret());
        Assert.Equal(added.Revision, failed.Revision);
        Assert.Contains("docker-credential-rotate get exited 1: backend down", failed.Helper!.LastRefreshError, StringComparison.Ordinal);
        Assert.DoesNotContain("aws-key-value-9", failed.Helper.LastRefreshError, StringComparison.Ordinal);
        // Retried with backoff (2 s first), sooner than the next period.
        Assert.True(failed.Helper.NextRefreshAt < _time.GetUtcNow().UtcDateTime.AddSeconds(10), $"retry at {failed.Helper.NextRefreshAt:O}, now {_time.GetUtcNow():O}");

        File.Delete(Path.Combine(_helpers.Dir, "fail"));
        _time.Advance(TimeSpan.FromSeconds(2));
        await WaitAsync(() => Secret() == "tok-2", TimeSpan.FromSeconds(2));
        var recovered = _credentials.Get("ecr");
        Assert.True(recovered.Revision > added.Revision);
        Assert.Null(recovered.Helper!.LastRefreshError);
    }

    [Fact]
    public async Task RotateKey_HelperEnvironment_ResealedAndStillUsable()
    {
        await AddAsync(TimeSpan.FromSeconds(10));
        KeyRotation.Rotate(_state.Secrets, _state.Database, "test");
        await _refresher.StartAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(10));

        // The refresh opens the helper's environment: with a key left behind it could not.
        await WaitAsync(() => Secret() == "tok-2", TimeSpan.FromSeconds(10));
        Assert.Null(_credentials.Get("ecr").Helper!.LastRefreshError);
    }

    [Fact]
    public async Task Add_HelperFails_NothingStored()
    {
        await File.WriteAllTextAsync(Path.Combine(_helpers.Dir, "fail"), "");

        var e = await Assert.ThrowsAsync<OperationException>(() => AddAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("registry 'ecr' not saved: docker-credential-rotate get exited 1", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("aws-key-value-9", e.Message, StringComparison.Ordinal);
        Assert.Empty(_credentials.List());
    }

    [Fact]
    public async Task Add_RefreshEveryBelowMinimum_Refused()
    {
        var e = await Assert.ThrowsAsync<OperationException>(() => AddAsync(TimeSpan.FromSeconds(1)));

        Assert.Contains("minimum is 2 s", e.Message, StringComparison.Ordinal);
        Assert.Empty(_credentials.List());
    }

    [Fact]
    public async Task Update_StaticPasswordOnHelperCredential_RefusedWithWhatToDo()
    {
        await AddAsync(TimeSpan.FromSeconds(10));

        var e = await Assert.ThrowsAsync<OperationException>(() => _credentials.UpdateAsync("ecr", null, "static", noVerify: true, "test", CancellationToken.None));

        Assert.Contains("--helper-env-stdin", e.Message, StringComparison.Ordinal);
        Assert.Equal("tok-1", Secret());
    }

    [Fact]
    public async Task Update_NewEnvironmentThatFails_ChangesNothing()
    {
        var added = await AddAsync(TimeSpan.FromSeconds(10));
        await File.WriteAllTextAsync(Path.Combine(_helpers.Dir, "fail"), "");

        var e = await Assert.ThrowsAsync<OperationException>(() => _helperCredentials.UpdateAsync("ecr", "AWS_SECRET_ACCESS_KEY=new-key-value-77", null, "test", CancellationToken.None));

        Assert.Contains("not changed", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("new-key-value-77", e.Message, StringComparison.Ordinal);
        Assert.Equal(added.Revision, _credentials.Get("ecr").Revision);
        Assert.Null(_credentials.Get("ecr").Helper!.LastRefreshError);
    }

    [Fact]
    public async Task Store_HelperEnvironmentAndToken_NeverInTheDatabaseFileInClear()
    {
        await AddAsync(TimeSpan.FromSeconds(10));
        _state.Dispose();

        var bytes = await File.ReadAllBytesAsync(Path.Combine(_helpers.Dir, "data", "cluster.db"));
        var text = System.Text.Encoding.UTF8.GetString(bytes) + System.Text.Encoding.Unicode.GetString(bytes);
        Assert.DoesNotContain("aws-key-value-9", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-1", text, StringComparison.Ordinal);
        _state = LeaderState.Open(Path.Combine(_helpers.Dir, "data"));
    }

    private Task<CredentialView> AddAsync(TimeSpan every) =>
        _helperCredentials.AddAsync(
            new NewHelperCredential("ecr", "generic", "10.77.0.254:5999", "rotate", "AWS_SECRET_ACCESS_KEY=aws-key-value-9\n", every, NoVerify: true, Insecure: true, PushOnly: false),
            "test", CancellationToken.None);

    private string Secret() => _credentials.PullCredential(_credentials.Get("ecr").Id)!.Value.Secret;

    // The refresher runs on its own task and a real helper process: poll, bounded. With fake
    // time, an Advance that lands between the refresher computing its sleep and arming its timer
    // is not seen by that timer; `nudge` advances time again (every 2 s of real waiting) so such a
    // sleep still ends, as it would under a clock that keeps moving.
    private async Task WaitAsync(Func<bool> condition, TimeSpan? nudge = null)
    {
        for (var i = 1; i <= 300 && !condition(); i++)
        {
            await Task.Delay(50);
            if (nudge is { } step && i % 40 == 0 && !condition())
            {
                _time.Advance(step);
            }
        }

        Assert.True(condition(), "the refresher did not get there within 15 s");
    }
}
