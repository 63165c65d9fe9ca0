using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Builds;

// Where a built image goes, decided from the swarm as it is now (Appliku's rule):
//  - one swarm node and a build server on it: the image stays in that engine (registry-less);
//  - otherwise the image must be pushed to the build registry, and with workers present and no
//    build registry the build is refused with what to set and which command does it.
public sealed class BuildTopology(DockerEngine engine, BuilderRegistry builders, NodeStore nodes, ClusterSettings settings, LeaderDatabase db)
{
    public sealed record Decision(bool Local, string? Refusal);

    public sealed record Status(bool RegistryNeeded, IReadOnlyList<string> AppsCannotMove);

    // Pure, so each case is tested without a swarm. `builderSwarmNodeIds`: swarm node ids of
    // the engines build servers run on.
    public static Decision Decide(IReadOnlyList<SwarmNode> swarm, IReadOnlyCollection<string> builderSwarmNodeIds, string? buildRegistry)
    {
        ArgumentNullException.ThrowIfNull(swarm);
        ArgumentNullException.ThrowIfNull(builderSwarmNodeIds);
        if (swarm.Count == 1 && builderSwarmNodeIds.Contains(swarm[0].Id))
        {
            return new(true, null);
        }

        if (!string.IsNullOrWhiteSpace(buildRegistry))
        {
            return new(false, null);
        }

        if (swarm.Count > 1)
        {
            var workers = swarm.Count(n => n.Role == "worker");
            return new(false,
                $"a container registry is required for multi-node clusters: this swarm has {swarm.Count} nodes ({workers} worker{(workers == 1 ? "" : "s")}), " +
                "so the built image must be pushed to a registry that every node pulls from. Add the registry's credentials (a token with write and read " +
                "permissions) and make it the build registry: `printf '%s' \"$TOKEN\" | clusterctl registry add NAME --provider ghcr --url ghcr.io " +
                "--username USER --password-stdin`, then `clusterctl cluster set-registry NAME --namespace ghcr.io/ORG`; then deploy again");
        }

        return new(false, swarm.Count == 0
            ? "cannot read the swarm's nodes from the leader's engine; is this node a swarm manager?"
            : "no build server runs on this swarm's only node: start cluster-builder there to build registry-less, " +
              "or set a build registry (`clusterctl cluster set-registry NAME --namespace HOST/PATH`)");
    }

    public async Task<(Decision Decision, IReadOnlyList<SwarmNode> Swarm)> DecideAsync(CancellationToken cancellationToken)
    {
        var swarm = await engine.ListSwarmNodesAsync(cancellationToken);
        var live = builders.Live.Select(b => b.SwarmNodeId).Where(id => id.Length > 0).ToHashSet(StringComparer.Ordinal);
        return (Decide(swarm, live, settings.BuildRegistry), swarm);
    }

    // For `cluster show`: whether built images need the registry (judged from every build server
    // that ever reported where it runs, connected or not), and which running apps sit on local
    // images and so cannot move to another node.
    public async Task<Status> StatusAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<SwarmNode> swarm;
        try
        {
            swarm = await engine.ListSwarmNodesAsync(cancellationToken);
        }
        catch (DockerOperationException)
        {
            swarm = [];
        }

        var known = nodes.All().Where(n => n.Role == "builder" && !n.Revoked && n.SwarmNodeId.Length > 0).Select(n => n.SwarmNodeId).ToHashSet(StringComparer.Ordinal);
        var needed = !(swarm.Count == 1 && known.Contains(swarm[0].Id));
        var stuck = db.Read(d => d.Apps.Find(a => a.LocalImage).Select(a => a.Name).OrderBy(n => n, StringComparer.Ordinal).ToList());
        return new Status(needed, stuck);
    }
}
