using Cluster.NodeAgent.Session;
using Cluster.NodeJoin;

namespace Cluster.NodeAgent.Tests.Session;

public sealed class SessionBackoffTests
{
    [Fact]
    public void Next_RepeatedFailures_CeilingDoublesFrom100msAndCapsAt8s()
    {
        var backoff = new SessionBackoff(() => 0.5);

        var ceilings = Enumerable.Range(0, 10).Select(_ =>
        {
            backoff.Next();
            return backoff.Ceiling.TotalMilliseconds;
        }).ToList();

        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 8000, 8000, 8000], ceilings);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.999999)]
    [InlineData(1.0)]
    public void Next_AnyRandomValue_DelayIsWithinZeroInclusiveAndCeilingExclusive(double random)
    {
        var backoff = new SessionBackoff(() => random);

        for (var i = 0; i < 12; i++)
        {
            var delay = backoff.Next();
            Assert.InRange(delay, TimeSpan.Zero, backoff.Ceiling - TimeSpan.FromTicks(1));
        }
    }

    [Fact]
    public void Next_RealRandom_StaysWithinBoundsAndSpreads()
    {
        var backoff = new SessionBackoff();
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 200; i++)
        {
            backoff.Reset();
            for (var j = 0; j < 8; j++)
            {
                backoff.Next();
            }

            delays.Add(backoff.Next());
            Assert.True(delays[^1] < SessionBackoff.Max);
        }

        Assert.True(delays.Distinct().Count() > 100, "jitter spreads reconnects");
    }

    [Fact]
    public void Reset_AfterEstablished_StartsAgainAt100ms()
    {
        var backoff = new SessionBackoff(() => 0.5);
        for (var i = 0; i < 6; i++)
        {
            backoff.Next();
        }

        backoff.Reset();
        var delay = backoff.Next();

        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Ceiling);
        Assert.Equal(TimeSpan.FromMilliseconds(50), delay);
    }
}
