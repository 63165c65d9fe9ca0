using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.PrePull;
using Cluster.NodeAgent.Session;
using Cluster.NodeAgent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.PrePull;

public sealed class PinKeeperTests : IDisposable
{
    private const string Digest = "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
    private const string Reference = "registry.example:5000/team/app@" + Digest;

    private readonly ScriptedEngine _engine = new();
    private readonly AssignmentStore _store = new();
    private readonly WatchedClock _time = new();
    private readonly PrePuller _puller;
    private readonly PinKeeper _keeper;

    public PinKeeperTests()
    {
        _puller = new PrePuller(new KeyringPuller(_engine), _store, new LeaderOutbox(), _time, NullLogger<PrePuller>.Instance);
        _keeper = new PinKeeper(_engine, _store, _puller, _time, NullLogger<PinKeeper>.Instance);
    }

    [Fact]
    public async Task PinnedImageRemovedFromTheEngine_IsPulledAgainWithTheCurrentCredential()
    {
        _store.Publish(AssignmentSnapshot.Empty with
        {
            Revision = 2,
            Credentials = System.Collections.Immutable.ImmutableDictionary.CreateRange([KeyValuePair.Create("all", Node("all", "registry.example:5000", username: "all-user"))]),
            Pins = System.Collections.Immutable.ImmutableDictionary.CreateRange([KeyValuePair.Create("app-1", new PinnedImage("app-1", "registry.example:5000/team/app:7@" + Digest))]),
        });
        _engine.PullSucceeds("all-user", "sha256:" + new string('e', 64));
        _engine.Present[Reference] = "sha256:" + new string('e', 64);
        await _keeper.StartAsync(CancellationToken.None);
        await WaitAsync(() => _engine.Watching);
        Assert.Empty(_engine.PullCalls);  // present: nothing to do

        _engine.ImageRemoved(Reference);

        await WaitAsync(() => _engine.Present.ContainsKey(Reference));
        var pull = Assert.Single(_engine.PullCalls);
        Assert.Equal((Reference, "all-user"), pull);
        await _keeper.StopAsync(CancellationToken.None);
        await _puller.StopAsync(CancellationToken.None);
    }

    public void Dispose()
    {
        _keeper.Dispose();
        _puller.Dispose();
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }
}
