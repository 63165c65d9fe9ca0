using Cluster.Core.Docker;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Deployments;

// The way out of registry-less mode (issue #10 item 5), decided for each built app that runs an
// image only one node's engine holds. Pure, so each case is tested without a swarm:
//  - the swarm has no other node: nothing to do (the single node runs it fine);
//  - no build registry: blocked, the app cannot move (what to set is said);
//  - otherwise the app is migrated (its image pushed and the service re-pinned by digest through
//    a normal deployment) as soon as nothing stands in the way: a deployment of the app still
//    running, no build server on the node holding the image, an eligible node whose agent has not
//    connected yet (its pre-pull would fail), or a recent failed attempt (RetryAt).
public static class MigrationPlanner
{
    public enum Action
    {
        None,
        Migrate,
        Wait,
        Blocked,
    }

    public sealed record Plan(AppRecord App, Action Action, string Reason);

    // What the leader sees now. `holder`: the swarm node holding local images whose app record
    // does not say (records written before it was kept: registry-less builds only ever ran on
    // a one-node swarm, whose node is the leader's own engine's).
    public sealed record View(
        IReadOnlyList<SwarmNode> Swarm,
        IReadOnlyCollection<string> BuilderNodes,
        IReadOnlyCollection<string> AgentNodes,
        string? BuildRegistry,
        IReadOnlyCollection<string> RunningAppIds,
        IReadOnlyDictionary<string, DateTimeOffset> RetryAt,
        DateTimeOffset Now,
        string Holder = "");

    public static IReadOnlyList<Plan> Decide(IEnumerable<AppRecord> apps, View view)
    {
        ArgumentNullException.ThrowIfNull(apps);
        ArgumentNullException.ThrowIfNull(view);
        return apps.Where(a => a.LocalImage).OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => DecideOne(a, view)).ToList();
    }

    public static string HolderOf(AppRecord app, View view)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(view);
        return app.LocalImageNode.Length > 0 ? app.LocalImageNode : view.Holder;
    }

    private static Plan DecideOne(AppRecord app, View view)
    {
        var holder = HolderOf(app, view);
        var names = view.Swarm.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
        string Name(string id) => names.TryGetValue(id, out var n) && n.Length > 0 ? n : id.Length > 0 ? id : "the node that built it";
        var others = holder.Length > 0 ? view.Swarm.Count(n => n.Id != holder) : view.Swarm.Count - 1;
        if (others <= 0)
        {
            return new(app, Action.None, "the swarm has one node: nowhere else to run");
        }

        if (string.IsNullOrWhiteSpace(view.BuildRegistry))
        {
            return new(app, Action.Blocked,
                $"its image exists only in {Name(holder)}'s engine and no build registry is set: set one (`clusterctl cluster set-registry NAME --namespace HOST/PATH`) and the leader pushes the image and re-pins the service by digest automatically");
        }

        if (view.RunningAppIds.Contains(app.Id))
        {
            return new(app, Action.Wait, $"a deployment of the app is running (`clusterctl deployment list {app.Name}`)");
        }

        if (view.RetryAt.TryGetValue(app.Id, out var retry) && retry > view.Now)
        {
            return new(app, Action.Wait, $"the last migration failed (`clusterctl deployment list {app.Name}`); trying again at {retry:u}");
        }

        if (holder.Length > 0 ? !view.BuilderNodes.Contains(holder) : view.BuilderNodes.Count == 0)
        {
            return new(app, Action.Wait, $"no build server is connected on {Name(holder)}, whose engine holds the image; start cluster-builder there");
        }

        var targets = Placement.Eligible(view.Swarm, app.Constraints);
        if (targets.Count == 0)
        {
            return new(app, Action.Wait, $"no ready, active node satisfies the app's constraints [{string.Join(", ", app.Constraints)}]");
        }

        var noAgent = targets.Where(t => !view.AgentNodes.Contains(t.Id)).Select(t => Name(t.Id)).ToList();
        return noAgent.Count > 0
            ? new(app, Action.Wait, $"waiting for the agent on {string.Join(", ", noAgent)} to connect, so the image can be pre-pulled there")
            : new(app, Action.Migrate, $"pushing its image to {view.BuildRegistry} and re-pinning the service by digest");
    }
}
