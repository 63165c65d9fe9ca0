using Cluster.Leader.Apps;
using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;

namespace Cluster.Leader.AutoSync;

// Fills App's Auto-Sync fields (30-39; last_check.commit 70) from the app record and the poller's memory.
public static class AutoSyncProto
{
    public static App Fill(App app, AppRecord record, AutoSyncService sync)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(sync);
        app.SyncIntervalSeconds = (uint)record.SyncIntervalSeconds;
        app.AutoSyncIntervalSeconds = (uint)sync.IntervalOf(record).TotalSeconds;
        if (sync.StatusOf(record) is not { } status)
        {
            return app;
        }

        var check = new AutoSyncCheck
        {
            Result = status.Result,
            Error = status.Error,
            // A Git app's check names a commit, an image app's a digest.
            Digest = record.Source == AppSources.Git ? "" : status.Digest,
            Commit = record.Source == AppSources.Git ? status.Digest : "",
            Trigger = status.Trigger,
            Deployment = status.Deployment,
        };
        if (status.LastCheckAt is { } at)
        {
            check.At = Timestamp.FromDateTimeOffset(at);
        }

        app.LastCheck = check;
        if (status.NextCheck is { } next)
        {
            app.NextCheck = Timestamp.FromDateTimeOffset(next);
        }

        return app;
    }
}
