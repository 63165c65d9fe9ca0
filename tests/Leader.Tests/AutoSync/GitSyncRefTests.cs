using Cluster.Leader.AutoSync;
using Cluster.Leader.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.AutoSync;

// Apps built from Git fold onto one SyncRef per (repository, branch), whatever spelling of the
// URL they use; a commit-pinned app follows nothing.
public sealed class GitSyncRefTests
{
    private static AppRecord Git(string name, string url, string gitRef) =>
        new() { Id = name, Name = name, Source = "git", GitUrl = url, GitRef = gitRef, AutoSync = true };

    [Fact]
    public void WatchedApps_GitAppsInEverySpelling_FoldOntoOneRefPerRepositoryAndBranch()
    {
        var apps = new List<AppRecord>
        {
            Git("a1", "https://git.example.com/acme/web.git", "main"),
            Git("a2", "https://git.example.com/acme/web", "main"),
            Git("a3", "https://git.example.com/Acme/Web.git/", "refs/heads/main"),
            Git("a4", "https://git.example.com/acme/web.git", "dev"),
            Git("b1", "git@git.example.com:acme/web.git", "main"),
            Git("b2", "ssh://git@git.example.com/acme/web", "main"),
            Git("b3", "ssh://git@git.example.com:22/~/acme/web.git", "main"),
            Git("pinned", "https://git.example.com/acme/web.git", new string('a', 40)),
            Git("off", "https://git.example.com/acme/web.git", "main"),
            new() { Id = "img", Name = "img", Source = "image", Image = "10.0.0.1:5000/acme/web", Tag = "v1", AutoSync = true },
        };
        apps.Single(a => a.Name == "off").AutoSync = false;

        var watched = WatchedApps.Of(apps);

        Assert.Equal(4, watched.Count);
        Assert.Equal(["a1", "a2", "a3"], Names(watched, "a1"));
        Assert.Equal(["a4"], Names(watched, "a4"));
        Assert.Equal(["b1", "b2", "b3"], Names(watched, "b1"));
        Assert.Equal(SyncRefKind.Image, watched.Keys.Single(k => k.Kind == SyncRefKind.Image).Kind);
        Assert.DoesNotContain(watched.Values.SelectMany(a => a), a => a.Name is "pinned" or "off");
    }

    [Fact]
    public void Planner_TwelveGitAppsOverThreeBranches_ChecksEachBranchOncePerInterval()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var planner = new SyncPlanner(new AutoSyncOptions { Jitter = 0 }, time);
        var apps = Enumerable.Range(0, 12).Select(i => Git($"app{i}", i % 2 == 0 ? "https://git.example.com/acme/web.git" : "https://git.example.com/acme/web", $"b{i % 3}")).ToList();
        var checks = new List<SyncRef>();
        for (var tick = 0; tick < 5 * 60; tick++)
        {
            planner.Reconcile(WatchedApps.Of(apps).SelectMany(w => w.Value.Select(_ => (w.Key, TimeSpan.FromSeconds(60)))));
            foreach (var due in planner.TakeDue())
            {
                checks.Add(due.Ref);
                planner.Complete(due.Ref, CheckOutcome.Found(new string('c', 40)));
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(3 * 5, checks.Count);
        Assert.Equal(3, checks.Distinct().Count());
    }

    private static List<string> Names(Dictionary<SyncRef, List<AppRecord>> watched, string member) =>
        watched.Values.Single(l => l.Any(a => a.Name == member)).Select(a => a.Name).ToList();
}
