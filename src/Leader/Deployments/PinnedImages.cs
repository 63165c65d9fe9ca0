using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Apps;
using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Deployments;

// What a node must hold: the pinned image of every deployed app whose constraints the node
// satisfies. Labels are not known from the session, so label constraints count as satisfied:
// a spare pull is harmless, a missing one fails a rescheduled task. Registry-less (local) built
// images are never pinned: no node could pull them.
public sealed class PinnedImages(AppService apps) : IPinSource
{
    public IEnumerable<ImagePin> PinsFor(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var node = new SwarmNode(session.SwarmNodeId, session.Hostname, session.SwarmRole, "ready", "active", session.Architecture, "");
        return apps.List()
            .Where(a => a.PinnedImage.Length > 0 && !a.LocalImage && a.Constraints.All(c => c.StartsWith("node.labels.", StringComparison.Ordinal) || Placement.Satisfies(node, c)))
            .Select(a => new ImagePin { Id = a.Id, Image = a.PinnedImage })
            .ToList();
    }
}
