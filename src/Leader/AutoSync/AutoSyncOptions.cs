namespace Cluster.Leader.AutoSync;

// How Auto-Sync polls. Validated at start (Validate), so a bad flag stops the leader with a
// message instead of polling a registry every millisecond.
public sealed record AutoSyncOptions
{
    // The seed's promise: "checks for image updates every 1 minute". Apps may ask for their own.
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(60);

    // Below this a poller stops being polite to shared registries (Docker Hub counts per IP): the
    // floor an app's own interval has too (Apps checks it at `app create`).
    public static readonly TimeSpan MinimumInterval = Apps.AppSpec.MinimumSyncInterval;

    // Cluster default for apps that set no interval of their own (`--auto-sync-interval`).
    public TimeSpan Interval { get; init; } = DefaultInterval;

    // Each next check is moved earlier by a random part of this fraction of the interval, so
    // leaders (and refs) started together do not hit a registry in lockstep; checks never come
    // later than one interval apart because of jitter.
    public double Jitter { get; init; } = 0.1;

    // Longest wait after repeated failures (exponential backoff doubles up to this, or up to the
    // interval when that is longer).
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(10);

    // Webhook pokes of one ref closer together than this are merged: a replayed or flooding
    // webhook cannot turn into a flood of registry requests.
    public TimeSpan MinPokeSpacing { get; init; } = TimeSpan.FromSeconds(1);

    // Checks running at once (each is one manifest HEAD, plus a token request at most).
    public int Concurrency { get; init; } = 4;

    public void Validate()
    {
        if (Interval < MinimumInterval || Interval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, $"the Auto-Sync interval must be between {MinimumInterval.TotalSeconds:0} s and 1 day");
        }

        if (Jitter is < 0 or > 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Auto-Sync jitter must be between 0 and 0.5 of the interval");
        }

        if (MaxBackoff < MinimumInterval || MinPokeSpacing < TimeSpan.Zero || Concurrency is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBackoff), "Auto-Sync backoff, poke spacing or concurrency out of range");
        }
    }
}
