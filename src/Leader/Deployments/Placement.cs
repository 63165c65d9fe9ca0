using Cluster.Core.Docker;

namespace Cluster.Leader.Deployments;

// Which nodes a service may run on: swarm's own rules for the constraints we can evaluate
// (node.id, node.hostname, node.role, node.platform.os/arch, node.labels.*), on nodes that are
// ready and active. An expression we cannot evaluate keeps the node: pre-pulling on one node
// too many costs disk, one too few costs a failed task.
public static class Placement
{
    public static IReadOnlyList<SwarmNode> Eligible(IEnumerable<SwarmNode> nodes, IEnumerable<string> constraints)
    {
        var list = constraints.ToList();
        return nodes.Where(n => n.State == "ready" && n.Availability == "active" && list.All(c => Satisfies(n, c))).ToList();
    }

    public static bool Satisfies(SwarmNode node, string constraint)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(constraint);
        var negate = constraint.Contains("!=", StringComparison.Ordinal);
        var parts = constraint.Split(negate ? "!=" : "==", 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            return true;
        }

        string? actual = parts[0] switch
        {
            "node.id" => node.Id,
            "node.hostname" => node.Hostname,
            "node.role" => node.Role,
            "node.platform.os" => node.Os,
            "node.platform.arch" => node.Architecture,
            var key when key.StartsWith("node.labels.", StringComparison.Ordinal) =>
                node.Labels.TryGetValue(key["node.labels.".Length..], out var v) ? v : "",
            _ => null,
        };
        if (actual is null)
        {
            return true;
        }

        var equal = string.Equals(actual, parts[1], StringComparison.OrdinalIgnoreCase);
        return negate ? !equal : equal;
    }

    // The nodes among targets that no platform of the image covers. platforms are "os/arch" or
    // "os/arch/variant" as the registry lists them; a node matches on os and architecture exactly
    // (its variant is not known), so linux/arm64 never stands in for an arm node, nor the reverse.
    public static IReadOnlyList<SwarmNode> WithoutPlatform(IEnumerable<SwarmNode> targets, IReadOnlyCollection<string> platforms)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(platforms);
        var covered = platforms
            .Select(p => p.Split('/'))
            .Where(p => p.Length >= 2)
            .Select(p => $"{p[0]}/{p[1]}")
            .ToHashSet(StringComparer.Ordinal);
        return targets.Where(n => !covered.Contains($"{n.Os}/{n.Architecture}")).ToList();
    }
}
