using System.Threading.Channels;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.NodeAgent.Tests.Session;

// The session loop against a scripted session (not a leader): the waits between sessions follow
// the backoff on the injected clock, an established session resets it, and no failure stops
// the loop.
public sealed class SessionServiceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly WatchedClock _time = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("agent-loop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ExecuteAsync_LeaderSaysRemoved_NoFurtherSessionAndStatusSaysRemoved()
    {
        // Issue #9 item 2: a removed node must not keep trying (a join token on disk would get it
        // back in on the old code); it says so once and waits for an admin.
        var runner = new ScriptedRunner(_ => throw new SessionFailure(SessionFailureKind.Removed, "this node was removed from the cluster; ask an admin to run `clusterctl node readmit n1`"));
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);
        await runner.NextStartAsync();

        for (var i = 0; i < 100 && !service.Removed; i++)
        {
            await Task.Delay(20);
        }

        _time.Advance(TimeSpan.FromDays(30));

        Assert.False(await runner.StartedWithinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(service.Removed);
        var status = new StringWriter();
        Assert.Equal(NodeCheckCommands.RemovedExit, NodeCheckCommands.Status(_dir, status));
        Assert.Contains("clusterctl node readmit", status.ToString(), StringComparison.Ordinal);
        await service.StopAsync(CancellationToken.None).WaitAsync(Patience);
    }

    [Fact]
    public async Task ExecuteAsync_Duplicate_RetriesOnlyEveryDuplicatePeriod()
    {
        var runner = new ScriptedRunner(_ => throw new SessionFailure(SessionFailureKind.Duplicate, "another agent already holds this node"));
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);

        for (var i = 0; i < 3; i++)
        {
            await runner.NextStartAsync();
            var wait = await _time.NextTimerAsync();
            Assert.Equal(SessionService.DuplicateRetry, wait);
            _time.Advance(wait);
        }

        await runner.NextStartAsync();
        Assert.Equal(NodeCheckCommands.DuplicateExit, NodeCheckCommands.Status(_dir, TextWriter.Null));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecuteAsync_Established_StatusSaysConnected()
    {
        var runner = new ScriptedRunner(onEstablished =>
        {
            onEstablished();
            throw new SessionFailure(SessionFailureKind.Ended, "closed");
        });
        using var service = Service(runner);
        Assert.Equal(NodeCheckCommands.NotJoined, NodeCheckCommands.Status(_dir, TextWriter.Null));
        await service.StartAsync(CancellationToken.None);
        await runner.NextStartAsync();
        await _time.NextTimerAsync();

        // The failure after the session was established is the newest state: retrying, with why.
        var line = new StringWriter();
        Assert.Equal(NodeCheckCommands.NotJoined, NodeCheckCommands.Status(_dir, line));
        Assert.Contains("closed", line.ToString(), StringComparison.Ordinal);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecuteAsync_SessionsKeepFailing_WaitsFollowTheBackoffOnTheInjectedClock()
    {
        var runner = new ScriptedRunner(_ => throw new SessionFailure(SessionFailureKind.LeaderUnreachable, "cannot reach"));
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);

        var waits = new List<double>();
        for (var i = 0; i < 9; i++)
        {
            await runner.NextStartAsync();
            var wait = await _time.NextTimerAsync();
            waits.Add(wait.TotalMilliseconds);
            _time.Advance(wait - TimeSpan.FromMilliseconds(1));
            Assert.False(await runner.StartedWithinAsync(TimeSpan.FromMilliseconds(50)), "next session before the delay passed");
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        await runner.NextStartAsync();
        Assert.Equal([50, 100, 200, 400, 800, 1600, 3200, 4000, 4000], waits);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecuteAsync_SessionEstablishedThenLost_BackoffStartsAgainFromItsFloor()
    {
        var attempt = 0;
        var runner = new ScriptedRunner(onEstablished =>
        {
            if (++attempt == 4)
            {
                onEstablished();
            }

            throw new SessionFailure(SessionFailureKind.Ended, "the leader closed the session");
        });
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);

        var waits = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            await runner.NextStartAsync();
            var wait = await _time.NextTimerAsync();
            waits.Add(wait.TotalMilliseconds);
            _time.Advance(wait);
        }

        Assert.Equal([50, 100, 200, 50, 100], waits);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecuteAsync_UnexpectedException_KeepsLooping()
    {
        var runner = new ScriptedRunner(_ => throw new InvalidOperationException("bug"));
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);

        await runner.NextStartAsync();
        _time.Advance(await _time.NextTimerAsync());
        await runner.NextStartAsync();

        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task StopAsync_DuringSession_EndsTheLoopWithoutAnotherSession()
    {
        var runner = new ScriptedRunner(null);
        using var service = Service(runner);
        await service.StartAsync(CancellationToken.None);
        await runner.NextStartAsync();

        await service.StopAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.True(service.ExecuteTask!.IsCompletedSuccessfully);
        Assert.False(await runner.StartedWithinAsync(TimeSpan.FromMilliseconds(50)));
    }

    private SessionService Service(ScriptedRunner runner) => new(
        runner,
        new SessionBackoff(() => 0.5),
        new AgentOptions { Leader = "127.0.0.1:7443", JoinToken = "x", StateDir = _dir, DockerHost = new Uri("unix:///x.sock") },
        new IdentityStore(_dir),
        _time,
        NullLogger<SessionService>.Instance);

    // Announces each RunAsync; with no script the session runs until the agent stops.
    private sealed class ScriptedRunner(Action<Action>? script) : ISessionRunner
    {
        private readonly Channel<bool> _starts = Channel.CreateUnbounded<bool>();

        public async Task RunAsync(Action onEstablished, CancellationToken stoppingToken)
        {
            _starts.Writer.TryWrite(true);
            if (script is null)
            {
                await Task.Delay(Timeout.Infinite, stoppingToken);
                return;
            }

            await Task.Yield();
            script(onEstablished);
        }

        public async Task NextStartAsync() => await _starts.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        public async Task<bool> StartedWithinAsync(TimeSpan within)
        {
            try
            {
                await _starts.Reader.WaitToReadAsync().AsTask().WaitAsync(within);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }
}
