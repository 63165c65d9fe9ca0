using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.NodeAgent.Tests.Support;

// A fake clock that also says when code under test starts waiting on it, and for how long, so
// a test advances time only once the wait is registered (advancing earlier would be lost).
internal sealed class WatchedClock() : FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    // The due time of the next timer created.
    public async Task<TimeSpan> NextTimerAsync() => await _timers.Reader.ReadAsync().AsTask().WaitAsync(Patience);

    public async Task<bool> TimerCreatedWithinAsync(TimeSpan within)
    {
        try
        {
            await _timers.Reader.WaitToReadAsync().AsTask().WaitAsync(within);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
