using Cluster.Leader.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Webhooks;

// Refused webhook deliveries on a fake clock: per webhook, one emitted (recorded and logged)
// refusal per second at most, however many arrive, and none lost from the count.
public sealed class RefusalCoalescerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RefusalCoalescer _refusals;
    private readonly List<RefusalCoalescer.Refusal> _emitted = [];

    public RefusalCoalescerTests() => _refusals = new RefusalCoalescer(_time);

    public void Dispose() => _refusals.Dispose();

    [Fact]
    public void Refuse_FloodWithinOneWindow_FirstAtOnceTheRestAsOneWhenTheWindowEnds()
    {
        for (var i = 0; i < 100; i++)
        {
            Refuse("hub", $"wrong secret #{i}");
        }

        var atOnce = Assert.Single(_emitted);
        _time.Advance(RefusalCoalescer.Window);

        Assert.Equal((1, "wrong secret #0"), (atOnce.Count, atOnce.Reason));
        Assert.Equal(2, _emitted.Count);
        Assert.Equal((99, "wrong secret #99"), (_emitted[1].Count, _emitted[1].Reason));
    }

    [Fact]
    public void Refuse_FloodThatGoesOnForTenSeconds_EmitsAtMostOncePerSecondAndCountsEvery()
    {
        for (var i = 0; i < 1000; i++)
        {
            Refuse("hub", "wrong secret");
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        _time.Advance(RefusalCoalescer.Window);

        Assert.InRange(_emitted.Count, 2, 11);
        Assert.Equal(1000, _emitted.Sum(e => e.Count));
        Assert.All(_emitted.Zip(_emitted.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(990), $"{pair.First.At:O} then {pair.Second.At:O}"));
    }

    [Fact]
    public void Refuse_AfterAQuietWindow_OrForAnotherWebhook_IsEmittedAtOnce()
    {
        Refuse("hub", "first");
        Refuse("other", "another webhook's own");
        _time.Advance(TimeSpan.FromSeconds(2));
        Refuse("hub", "after a quiet second");

        Assert.Equal(["first", "another webhook's own", "after a quiet second"], _emitted.Select(e => e.Reason));
        Assert.All(_emitted, e => Assert.Equal(1, e.Count));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(3, _emitted.Count);
    }

    private void Refuse(string key, string reason) => _refusals.Refuse(key, reason, "192.0.2.1", 10, _emitted.Add);
}
