using Cluster.Protos.Agent.V1;

namespace Cluster.Leader.Agents;

// The images apps pin that may run on a session's node, so a joining or reconnecting node
// pre-pulls them before swarm schedules a task there. Agents ask; the deployments feature
// answers (Deployments/PinnedImages), so Agents depends on no app or deployment type.
public interface IPinSource
{
    IEnumerable<ImagePin> PinsFor(AgentSession session);
}
