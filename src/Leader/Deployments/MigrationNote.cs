namespace Cluster.Leader.Deployments;

// One line for people about the registry-less apps (`cluster show`, `node list`): blocked
// (no build registry: what to set), migrating, or waiting and for what. Empty when there is
// nothing to say (no local app, or a single node where they run fine).
public static class MigrationNote
{
    public static string Of(IReadOnlyList<MigrationPlanner.Plan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var said = plans.Where(p => p.Action != MigrationPlanner.Action.None).ToList();
        if (said.Count == 0)
        {
            return "";
        }

        // Every blocked app has the same cause and the same fix: say it once.
        var blocked = said.Where(p => p.Action == MigrationPlanner.Action.Blocked).ToList();
        var lines = new List<string>();
        if (blocked.Count > 0)
        {
            lines.Add($"app{(blocked.Count == 1 ? "" : "s")} {string.Join(", ", blocked.Select(p => p.App.Name))} cannot move to another node: {blocked[0].Reason}");
        }

        lines.AddRange(said.Where(p => p.Action != MigrationPlanner.Action.Blocked).Select(p =>
            $"app {p.App.Name}: {(p.Action == MigrationPlanner.Action.Migrate ? "migrating" : "migration pending")}: {p.Reason}"));
        return string.Join("; ", lines);
    }
}
