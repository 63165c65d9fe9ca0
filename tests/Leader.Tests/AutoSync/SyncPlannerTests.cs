using Cluster.Leader.AutoSync;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.AutoSync;

public sealed class SyncPlannerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    private SyncPlanner Planner(double jitter = 0, TimeSpan? maxBackoff = null) =>
        new(new AutoSyncOptions { Jitter = jitter, MaxBackoff = maxBackoff ?? TimeSpan.FromMinutes(10) }, _time, new Random(7));

    private static SyncRef Ref(int i) => new("10.77.0.254:5000", $"team/app{i}", "v1");

    // Twenty apps over five refs, as the test: refs 0..4, four apps each.
    private static IEnumerable<(SyncRef, TimeSpan)> TwentyAppsOverFiveRefs(TimeSpan interval) =>
        Enumerable.Range(0, 20).Select(app => (Ref(app % 5), interval));

    [Fact]
    public void TakeDue_TwentyAppsOverFiveRefs_ChecksEachRefOncePerInterval()
    {
        var planner = Planner();
        var checks = 0;
        for (var tick = 0; tick < 10 * 60; tick++)
        {
            planner.Reconcile(TwentyAppsOverFiveRefs(Interval));
            foreach (var due in planner.TakeDue())
            {
                checks++;
                planner.Complete(due.Ref, CheckOutcome.Found("sha256:" + new string('a', 64)));
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Ten minutes at one check per ref per minute: the first at once, then every 60 s.
        Assert.Equal(5 * 10, checks);
    }

    [Fact]
    public void TakeDue_SameRefTwice_NotHandedOutWhileInFlight()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval)]);

        Assert.Single(planner.TakeDue());
        _time.Advance(TimeSpan.FromMinutes(5));
        planner.Poke(_ => true, "webhook:x");

        Assert.Empty(planner.TakeDue());
    }

    [Fact]
    public void Complete_Success_NextCheckWithinOneIntervalAndNoEarlierThanJitterAllows()
    {
        var planner = Planner(jitter: 0.1);
        planner.Reconcile([(Ref(1), Interval)]);
        _time.Advance(TimeSpan.FromSeconds(10));
        planner.TakeDue();

        var status = planner.Complete(Ref(1), CheckOutcome.Found("sha256:" + new string('b', 64)))!;

        var wait = status.NextDue - _time.GetUtcNow();
        Assert.InRange(wait, Interval * 0.9, Interval);
    }

    [Fact]
    public void Reconcile_AppsWithDifferentIntervals_RefUsesTheShortest()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval), (Ref(1), TimeSpan.FromSeconds(30)), (Ref(1), TimeSpan.FromSeconds(1))]);

        Assert.Equal(AutoSyncOptions.MinimumInterval, planner.Status(Ref(1))!.Interval);
    }

    [Fact]
    public void Complete_RepeatedFailures_WaitDoublesUpToTheCap()
    {
        var planner = Planner(maxBackoff: TimeSpan.FromMinutes(5));
        planner.Reconcile([(Ref(1), Interval)]);
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var due = planner.NextDue()!.Value;
            _time.SetUtcNow(due);
            Assert.Single(planner.TakeDue());
            var status = planner.Complete(Ref(1), CheckOutcome.Failed("10.77.0.254:5000 answered 503 Service Unavailable"))!;
            waits.Add(status.NextDue - _time.GetUtcNow());
        }

        Assert.Equal([60, 120, 240, 300, 300], waits.Select(w => (int)w.TotalSeconds));
    }

    [Fact]
    public void Complete_SuccessAfterFailures_BackToTheInterval()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval)]);
        planner.TakeDue();
        planner.Complete(Ref(1), CheckOutcome.Failed("down"));
        _time.Advance(Interval);
        planner.TakeDue();
        planner.Complete(Ref(1), CheckOutcome.Failed("down"));
        _time.Advance(Interval * 2);
        planner.TakeDue();

        var status = planner.Complete(Ref(1), CheckOutcome.Found("sha256:" + new string('c', 64)))!;

        Assert.Equal(0, status.Failures);
        Assert.Equal(Interval, status.NextDue - _time.GetUtcNow());
    }

    [Fact]
    public void Complete_RetryAfterLongerThanBackoff_NextCheckWaitsAsToldEvenWhenPoked()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), TimeSpan.FromSeconds(5))]);
        planner.TakeDue();

        var status = planner.Complete(Ref(1), CheckOutcome.Failed("rate limited by 10.77.0.254:5000; retry after 120 s", TimeSpan.FromSeconds(120)))!;
        planner.Poke(_ => true, "webhook:hub");

        Assert.Equal(TimeSpan.FromSeconds(120), status.NextDue - _time.GetUtcNow());
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.Empty(planner.TakeDue());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(planner.TakeDue());
    }

    [Fact]
    public void Complete_RateLimitRemainingZero_WaitsTheMaximumBackoff()
    {
        var planner = Planner(maxBackoff: TimeSpan.FromMinutes(10));
        planner.Reconcile([(Ref(1), Interval)]);
        planner.TakeDue();

        var status = planner.Complete(Ref(1), CheckOutcome.Found("sha256:" + new string('d', 64), remaining: 0))!;

        Assert.Equal(TimeSpan.FromMinutes(10), status.NextDue - _time.GetUtcNow());
    }

    [Fact]
    public void Poke_MatchingRef_DueNowButNotCloserThanSpacingToTheLastCheck()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval), (Ref(2), Interval)]);
        foreach (var due in planner.TakeDue())
        {
            planner.Complete(due.Ref, CheckOutcome.Found("sha256:" + new string('e', 64)));
        }

        Assert.Equal(1, planner.Poke(r => r == Ref(1), "webhook:lab"));
        Assert.Empty(planner.TakeDue());
        _time.Advance(TimeSpan.FromSeconds(1));
        var poked = Assert.Single(planner.TakeDue());

        Assert.Equal(Ref(1), poked.Ref);
        Assert.Equal("webhook:lab", poked.PokedBy);
    }

    [Fact]
    public void Poke_ManyDuringOneCheck_ExactlyOneMoreCheckAfterIt()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval)]);
        Assert.Single(planner.TakeDue());
        for (var i = 0; i < 50; i++)
        {
            planner.Poke(_ => true, "webhook:flood");
        }

        planner.Complete(Ref(1), CheckOutcome.Found("sha256:" + new string('f', 64)));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Single(planner.TakeDue());
        planner.Complete(Ref(1), CheckOutcome.Found("sha256:" + new string('f', 64)));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(planner.TakeDue());
    }

    [Fact]
    public void Poke_WhileBackingOffWithoutRetryAfter_CutsTheBackoffShort()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval)]);
        planner.TakeDue();
        planner.Complete(Ref(1), CheckOutcome.Failed("connection refused"));
        _time.Advance(TimeSpan.FromSeconds(2));

        planner.Poke(_ => true, "webhook:lab");

        Assert.Single(planner.TakeDue());
    }

    [Fact]
    public void Reconcile_RefNoLongerWatched_Dropped()
    {
        var planner = Planner();
        planner.Reconcile([(Ref(1), Interval), (Ref(2), Interval)]);

        planner.Reconcile([(Ref(2), Interval)]);

        Assert.Null(planner.Status(Ref(1)));
        Assert.Equal(Ref(2), Assert.Single(planner.TakeDue()).Ref);
    }
}
