namespace Cluster.Leader.Webhooks;

// Refused webhook deliveries, coalesced per key (a webhook's name): at most one is emitted (a
// delivery record written, a line logged) per Window. The first refusal after a quiet Window is
// emitted at once; the ones that follow within the Window are only counted, and emitted together
// as one when it ends (Count, the last one's reason and peer), so a flood of forged deliveries
// costs one database write a second, not one each, and the record still says it happened.
// Driven by the injected TimeProvider (timers included) so tests run on a fake clock;
// System.Threading.RateLimiting's limiters read the real clock and keep no count of what they
// turned away, which is what the record must show.
public sealed class RefusalCoalescer(TimeProvider time) : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly Lock _sync = new();
    private readonly Dictionary<string, Pending> _keys = new(StringComparer.Ordinal);

    // One emitted refusal: Count refusals, the last one's reason, peer and size, and when it
    // came. Deferred: emitted when its Window ended, standing for every refusal counted in it;
    // otherwise emitted at once, Count 1.
    public sealed record Refusal(string Key, string Reason, string Peer, long Bytes, int Count, DateTimeOffset At, bool Deferred);

    // Refuses one delivery under `key`; `emit` runs now (on this thread) or when the Window ends
    // (on a timer thread). Keys must be bounded (known webhook names and a fixed few others):
    // each keeps a small entry.
    public void Refuse(string key, string reason, string peer, long bytes, Action<Refusal> emit)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(emit);
        var now = time.GetUtcNow();
        lock (_sync)
        {
            if (!_keys.TryGetValue(key, out var pending))
            {
                pending = new Pending();
                _keys[key] = pending;
            }

            if (now < pending.WindowEnds)
            {
                pending.Count++;
                pending.Last = new Refusal(key, reason, peer, bytes, pending.Count, now, Deferred: true);
                pending.Emit = emit;
                pending.Timer ??= time.CreateTimer(_ => Flush(key), null, pending.WindowEnds - now, Timeout.InfiniteTimeSpan);
                return;
            }

            pending.WindowEnds = now + Window;
        }

        emit(new Refusal(key, reason, peer, bytes, 1, now, Deferred: false));
    }

    public void Dispose()
    {
        lock (_sync)
        {
            foreach (var pending in _keys.Values)
            {
                pending.Timer?.Dispose();
            }

            _keys.Clear();
        }
    }

    // The Window ended with refusals counted: emit them as one, and keep coalescing for one more
    // Window (a flood that goes on is emitted once per Window).
    private void Flush(string key)
    {
        Refusal? last;
        Action<Refusal>? emit;
        lock (_sync)
        {
            if (!_keys.TryGetValue(key, out var pending))
            {
                return;
            }

            pending.Timer?.Dispose();
            pending.Timer = null;
            last = pending.Last;
            emit = pending.Emit;
            pending.Last = null;
            pending.Emit = null;
            pending.Count = 0;
            pending.WindowEnds = time.GetUtcNow() + Window;
        }

        if (last is not null)
        {
            emit!(last);
        }
    }

    private sealed class Pending
    {
        public DateTimeOffset WindowEnds { get; set; } = DateTimeOffset.MinValue;

        public int Count { get; set; }

        public Refusal? Last { get; set; }

        public Action<Refusal>? Emit { get; set; }

        public ITimer? Timer { get; set; }
    }
}
