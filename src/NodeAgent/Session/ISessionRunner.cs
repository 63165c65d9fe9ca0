using Cluster.NodeJoin;

namespace Cluster.NodeAgent.Session;

// One session, start to end (AgentSession). Ends only by throwing: a SessionFailure saying why,
// or an OperationCanceledException when the agent stops. onEstablished runs once the leader
// has started the session.
internal interface ISessionRunner
{
    Task RunAsync(Action onEstablished, CancellationToken stoppingToken);
}
