using Cluster.Leader.Apps;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// Which ref each Auto-Sync app follows, folded so that apps sharing a ref share its check.
// Followed: image apps with a tag (not digest-pinned), and apps built from Git whose --ref is a
// branch or empty (the default branch). Not followed: a digest-pinned image, a Git ref that is a
// full commit SHA (it never moves; `app set --auto-sync on` refuses it), an app built from a
// folder. A Git ref that turns out to be a tag is followed until its first check, which fails
// saying so (only the server knows a tag from a branch).
public static class WatchedApps
{
    public static Dictionary<SyncRef, List<AppRecord>> Of(IEnumerable<AppRecord> apps)
    {
        ArgumentNullException.ThrowIfNull(apps);
        var watched = new Dictionary<SyncRef, List<AppRecord>>();
        foreach (var app in apps.Where(a => a.AutoSync).OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (RefOf(app) is not { } key)
            {
                continue;
            }

            if (!watched.TryGetValue(key, out var list))
            {
                watched[key] = list = [];
            }

            list.Add(app);
        }

        return watched;
    }

    // The ref an app follows; null when it follows none (see above) or its source cannot be read.
    public static SyncRef? RefOf(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            return app.Source switch
            {
                AppSources.Image when app.Image.Length > 0 && app.PinnedDigest.Length == 0 => SyncRef.Of(app.Image, app.Tag),
                AppSources.Git when app.GitUrl.Length > 0 && !AppSources.IsCommit(app.GitRef) => SyncRef.OfGit(app.GitUrl, app.GitRef),
                _ => null,
            };
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
