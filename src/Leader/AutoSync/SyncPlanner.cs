namespace Cluster.Leader.AutoSync;

// When each ref is checked. Pure bookkeeping over the injected TimeProvider (no I/O), so the
// guarantees below are tested with a fake clock:
// - one schedule per unique SyncRef, however many apps watch it; its interval is the shortest
//   any of those apps asked for;
// - a ref is never handed out twice at once (in flight until Complete);
// - after a success the next check is at most one interval later (jitter only moves it
//   earlier, by at most Jitter x interval);
// - after a failure the wait doubles (interval, 2x, 4x ... up to max(MaxBackoff, interval)),
//   and is never shorter than the registry's Retry-After; until that Retry-After has passed
//   not even a webhook poke brings the check forward;
// - Docker Hub's RateLimit-Remaining: 0 is treated like a failure: wait MaxBackoff;
// - pokes only move a check earlier, never closer than MinPokeSpacing to the previous check of
//   that ref nor before a Retry-After has passed (a poke does cut an exponential backoff short:
//   a registry that sends a push notification is up); a poke during a check queues exactly one
//   more check right after it.
public sealed class SyncPlanner(AutoSyncOptions options, TimeProvider time, Random? random = null)
{
    private readonly Dictionary<SyncRef, Entry> _refs = [];
    private readonly Lock _lock = new();
    private readonly Random _random = random ?? Random.Shared;

    // Makes the schedule follow the wanted refs: new refs are due at once (spread over a jitter
    // window), gone refs are dropped, a shorter interval applies from now.
    public void Reconcile(IEnumerable<(SyncRef Ref, TimeSpan Interval)> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var now = time.GetUtcNow();
        var intervals = new Dictionary<SyncRef, TimeSpan>();
        foreach (var (r, interval) in wanted)
        {
            var clamped = interval < AutoSyncOptions.MinimumInterval ? AutoSyncOptions.MinimumInterval : interval;
            intervals[r] = intervals.TryGetValue(r, out var other) && other < clamped ? other : clamped;
        }

        lock (_lock)
        {
            foreach (var gone in _refs.Keys.Where(r => !intervals.ContainsKey(r)).ToList())
            {
                _refs.Remove(gone);
            }

            foreach (var (r, interval) in intervals)
            {
                if (!_refs.TryGetValue(r, out var entry))
                {
                    _refs[r] = new Entry(r, interval, now + Spread(interval));
                    continue;
                }

                if (interval < entry.Interval && entry.Failures == 0 && entry.NextDue > now + interval)
                {
                    entry.NextDue = now + interval;
                }

                entry.Interval = interval;
            }
        }
    }

    // Refs due now, each marked in flight until Complete.
    public IReadOnlyList<DueCheck> TakeDue()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            var due = new List<DueCheck>();
            foreach (var entry in _refs.Values.Where(e => !e.InFlight && e.NextDue <= now).OrderBy(e => e.NextDue))
            {
                entry.InFlight = true;
                due.Add(new DueCheck(entry.Ref, entry.PokedBy));
                entry.PokedBy = null;
            }

            return due;
        }
    }

    // Records a check's outcome and schedules the next one. Returns the ref's status after it
    // (null when the ref was dropped meanwhile).
    public RefStatus? Complete(SyncRef syncRef, CheckOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_refs.TryGetValue(syncRef, out var entry))
            {
                return null;
            }

            entry.InFlight = false;
            entry.LastCheckAt = now;
            entry.Last = outcome;
            TimeSpan wait;
            if (outcome.Ok && outcome.RateLimitRemaining is not 0)
            {
                entry.Failures = 0;
                wait = entry.Interval - Spread(entry.Interval);
            }
            else
            {
                entry.Failures++;
                var cap = options.MaxBackoff > entry.Interval ? options.MaxBackoff : entry.Interval;
                var backoff = outcome.Ok
                    ? cap
                    : TimeSpan.FromTicks((long)Math.Min(cap.Ticks, entry.Interval.Ticks * Math.Pow(2, Math.Min(entry.Failures - 1, 30))));
                backoff -= Spread(backoff);
                var told = outcome.RetryAfter ?? TimeSpan.Zero;
                wait = told > backoff ? told : backoff;
                entry.BlockedUntil = outcome.RetryAfter is null ? null : now + told;
            }

            entry.NextDue = now + wait;
            if (entry.PokedBy is not null)
            {
                // A poke arrived during this check: one more check, as soon as politeness allows.
                entry.NextDue = Earliest(entry, now);
            }

            return Snapshot(entry);
        }
    }

    // A webhook (or a follow-up) asks for a check of every ref that matches. Returns how many
    // refs matched.
    public int Poke(Func<SyncRef, bool> match, string source)
    {
        ArgumentNullException.ThrowIfNull(match);
        var now = time.GetUtcNow();
        var matched = 0;
        lock (_lock)
        {
            foreach (var entry in _refs.Values.Where(e => match(e.Ref)))
            {
                matched++;
                entry.PokedBy = source;
                if (!entry.InFlight)
                {
                    var earliest = Earliest(entry, now);
                    if (earliest < entry.NextDue)
                    {
                        entry.NextDue = earliest;
                    }
                }
            }
        }

        return matched;
    }

    // When the next check falls due (null: nothing to check).
    public DateTimeOffset? NextDue()
    {
        lock (_lock)
        {
            var pending = _refs.Values.Where(e => !e.InFlight).Select(e => e.NextDue).ToList();
            return pending.Count == 0 ? null : pending.Min();
        }
    }

    public RefStatus? Status(SyncRef syncRef)
    {
        lock (_lock)
        {
            return _refs.TryGetValue(syncRef, out var entry) ? Snapshot(entry) : null;
        }
    }

    private DateTimeOffset Earliest(Entry entry, DateTimeOffset now)
    {
        var earliest = now;
        if (entry.LastCheckAt is { } last && last + options.MinPokeSpacing > earliest)
        {
            earliest = last + options.MinPokeSpacing;
        }

        if (entry.BlockedUntil is { } blocked && blocked > earliest)
        {
            earliest = blocked;
        }

        return earliest;
    }

    private TimeSpan Spread(TimeSpan interval)
    {
        double fraction;
        lock (_random)
        {
            fraction = _random.NextDouble();
        }

        return TimeSpan.FromTicks((long)(interval.Ticks * options.Jitter * fraction));
    }

    private static RefStatus Snapshot(Entry e) => new(e.Ref, e.Interval, e.LastCheckAt, e.Last, e.NextDue, e.Failures);

    private sealed class Entry(SyncRef syncRef, TimeSpan interval, DateTimeOffset nextDue)
    {
        public SyncRef Ref { get; } = syncRef;

        public TimeSpan Interval { get; set; } = interval;

        public DateTimeOffset NextDue { get; set; } = nextDue;

        public int Failures { get; set; }

        public DateTimeOffset? BlockedUntil { get; set; }

        public DateTimeOffset? LastCheckAt { get; set; }

        public CheckOutcome? Last { get; set; }

        public string? PokedBy { get; set; }

        public bool InFlight { get; set; }
    }
}
