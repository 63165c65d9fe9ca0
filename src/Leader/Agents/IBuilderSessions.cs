namespace Cluster.Leader.Agents;

// The build servers' open sessions, as enrollment, the node list and `node remove` need them.
// Builds answers it (BuilderRegistry), so Agents does not depend on Builds (Builds uses Agents'
// node identity).
public interface IBuilderSessions
{
    // The open session of that node: its reported hostname and last heartbeat; null when none.
    (string Hostname, DateTime LastHeartbeat)? Live(string nodeId);

    // Ends that node's session, if one is open.
    void Close(string nodeId);
}
