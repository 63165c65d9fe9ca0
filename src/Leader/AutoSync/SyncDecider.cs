namespace Cluster.Leader.AutoSync;

// The decision after a SUCCESSFUL check (a failed check never reaches here: it cannot cause a
// deployment, and it cannot read as "unchanged"). Guarantees:
// - only a digest different from the one the app runs leads to Deploy;
// - at most one Auto-Sync deployment per app per interval: a digest that flips back and forth
//   within one interval is re-checked when the interval has passed, and only the digest the
//   registry names then is deployed;
// - a running deployment absorbs the trigger (the caller re-checks once after it ends);
// - a digest whose Auto-Sync deployment failed is not retried until the tag moves again.
public static class SyncDecider
{
    public static (SyncVerdict Verdict, DateTimeOffset? HoldUntil) Decide(AppSyncFacts app, string observedDigest, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.DeployedDigest.Length == 0)
        {
            return (SyncVerdict.NotDeployed, null);
        }

        if (string.Equals(app.DeployedDigest, observedDigest, StringComparison.Ordinal))
        {
            return (SyncVerdict.Unchanged, null);
        }

        if (app.DeploymentRunning)
        {
            return (SyncVerdict.Absorbed, null);
        }

        if (string.Equals(app.LastFailedAutoDigest, observedDigest, StringComparison.Ordinal))
        {
            return (SyncVerdict.Skipped, null);
        }

        if (app.LastAutoDeployAt is { } last && now - last < app.Interval)
        {
            return (SyncVerdict.Held, last + app.Interval);
        }

        return (SyncVerdict.Deploy, null);
    }
}
