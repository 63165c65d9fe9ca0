using System.Diagnostics;

namespace Cluster.Bench.Propagation;

// Collects, on the agents' side, when each agent sent its ack of one revision. A round is done
// when all N have; its time is the latest ack minus the moment the change was triggered.
internal sealed class AckTracker
{
    private Round? _round;

    public Round Begin(ulong revision, int agents)
    {
        var round = new Round(revision, agents);
        Volatile.Write(ref _round, round);
        return round;
    }

    public void Acked(int agent, ulong revision, long timestamp) => Volatile.Read(ref _round)?.Acked(agent, revision, timestamp);

    internal sealed class Round
    {
        private readonly long[] _ackedAt;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _remaining;

        public Round(ulong revision, int agents)
        {
            Revision = revision;
            _ackedAt = new long[agents];
            _remaining = agents;
        }

        public ulong Revision { get; }

        public Task Done => _done.Task;

        public int Missing => Volatile.Read(ref _remaining);

        public void Acked(int agent, ulong revision, long timestamp)
        {
            // An ack of a later revision also covers this one (the chain is cumulative).
            if (revision >= Revision && agent < _ackedAt.Length &&
                Interlocked.CompareExchange(ref _ackedAt[agent], Math.Max(timestamp, 1), 0) == 0 &&
                Interlocked.Decrement(ref _remaining) == 0)
            {
                _done.TrySetResult();
            }
        }

        // Milliseconds from `start` (a Stopwatch timestamp) to the first and the last ack.
        public (double First, double Last) Span(long start)
        {
            var first = _ackedAt.Min();
            var last = _ackedAt.Max();
            return (Stopwatch.GetElapsedTime(start, first).TotalMilliseconds, Stopwatch.GetElapsedTime(start, last).TotalMilliseconds);
        }
    }
}
