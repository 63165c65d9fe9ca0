namespace Cluster.NodeJoin;

// swarmkit's session backoff: the ceiling starts at 100 ms and doubles per failure up to 8 s;
// each wait is a random delay in [0, ceiling), so agents cut off together (a leader restart)
// do not all come back in the same instant; the ceiling resets once a session is established.
internal sealed class SessionBackoff(Func<double>? random = null)
{
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan Max = TimeSpan.FromSeconds(8);

    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    // The ceiling of the last delay handed out; zero after a reset.
    public TimeSpan Ceiling { get; private set; } = TimeSpan.Zero;

    public TimeSpan Next()
    {
        Ceiling = Ceiling == TimeSpan.Zero ? Initial : TimeSpan.FromTicks(Math.Min(Ceiling.Ticks * 2, Max.Ticks));
        var fraction = Math.Clamp(_random(), 0.0, 1.0);
        // [0, ceiling): a random source that returns exactly 1 still stays below the ceiling.
        return TimeSpan.FromTicks(Math.Min((long)(Ceiling.Ticks * fraction), Ceiling.Ticks - 1));
    }

    public void Reset() => Ceiling = TimeSpan.Zero;
}
