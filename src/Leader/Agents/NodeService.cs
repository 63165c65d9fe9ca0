using Cluster.Core.Docker;
using Cluster.Leader.Storage;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Agents;

// The nodes as admins see them: each joined agent, matched to the swarm's node list by swarm
// node id, with its liveness from the session registry; swarm nodes without an agent are listed
// too, as down, so a node that never got an agent is visible.
public sealed class NodeService(NodeStore nodes, SessionRegistry sessions, DockerEngine engine, IBuilderSessions? builders = null)
{
    public sealed record View(string Id, string Hostname, string Role, string SwarmNodeId, string Status, long CredentialRevision, DateTime? LastSeen, string EngineVersion, string Architecture);

    // The swarm's nodes as the leader's engine (a manager) lists them; null when the engine
    // cannot be read. One engine call: `node list` uses it for List and the migration view.
    public async Task<IReadOnlyList<SwarmNode>?> SwarmAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await engine.ListSwarmNodesAsync(cancellationToken);
        }
        catch (DockerOperationException)
        {
            return null;
        }
    }

    // The nodes against a swarm node list already read; empty when it could not be read (the
    // agents' own reports still say what each node is).
    public IReadOnlyList<View> List(IReadOnlyList<SwarmNode> swarm)
    {
        ArgumentNullException.ThrowIfNull(swarm);
        var views = new List<View>();
        var all = nodes.All();
        var agents = all.Where(n => n.Role == "agent" && !n.Revoked).ToList();
        foreach (var node in agents)
        {
            var live = sessions.Find(node.Id);
            var swarmNode = swarm.FirstOrDefault(s => s.Id == node.SwarmNodeId);
            views.Add(new View(
                node.Id,
                live?.Hostname ?? node.Hostname,
                swarmNode?.Role ?? node.SwarmRole,
                node.SwarmNodeId,
                sessions.IsReady(node.Id) ? "ready" : "down",
                Math.Max(node.AckedRevision, live?.AckedRevision ?? 0),
                live is not null ? live.LastHeartbeat : node.LastSeen,
                node.EngineVersion,
                node.Architecture));
        }

        // Build servers (role builder), live while their builder session is open.
        foreach (var builder in all.Where(n => n.Role == "builder" && !n.Revoked))
        {
            var live = builders?.Live(builder.Id);
            views.Add(new View(builder.Id, live?.Hostname ?? builder.Hostname, "builder", builder.SwarmNodeId,
                live is not null ? "ready" : "down", 0, live?.LastHeartbeat ?? builder.LastSeen, builder.EngineVersion, builder.Architecture));
        }

        foreach (var orphan in swarm.Where(s => agents.All(a => a.SwarmNodeId != s.Id)))
        {
            views.Add(new View("", orphan.Hostname, orphan.Role, orphan.Id, "down", 0, null, "", orphan.Architecture));
        }

        return views.OrderBy(v => v.Hostname, StringComparer.Ordinal).ToList();
    }

    // The node stays out (its enrollment id and swarm node id are refused) until Readmit.
    public void Remove(string idOrHostname, string actor)
    {
        var node = nodes.Revoke(idOrHostname, actor)
            ?? throw new OperationException(OperationError.NotFound, $"no node '{idOrHostname}'; `clusterctl node list` shows ids and hostnames");
        sessions.Find(node.Id)?.Close();
        builders?.Close(node.Id);
    }

    public NodeRecord Readmit(string idOrHostname, string actor) =>
        nodes.Readmit(idOrHostname, actor)
            ?? throw new OperationException(OperationError.NotFound, $"no removed node '{idOrHostname}'; give the id or hostname `clusterctl node remove` was given");

    // Each node's latest own check of a credential, for `registry show`.
    public IReadOnlyList<(string Node, NodeCheckRecord Check)> ChecksOf(string credentialId)
    {
        var byId = nodes.All().Where(n => !n.Revoked).ToDictionary(n => n.Id, StringComparer.Ordinal);
        return nodes.ChecksOf(credentialId)
            .Where(c => byId.ContainsKey(c.NodeId))
            .Select(c => (sessions.Find(c.NodeId)?.Hostname ?? byId[c.NodeId].Hostname, c))
            .OrderBy(x => x.Item1, StringComparer.Ordinal)
            .ToList();
    }
}
