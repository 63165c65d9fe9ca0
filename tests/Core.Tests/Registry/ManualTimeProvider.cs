namespace Cluster.Core.Tests.Registry;

// A clock the test moves by hand (timers still run on real time, so request timeouts work).
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
