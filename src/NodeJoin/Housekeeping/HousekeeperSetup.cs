namespace Cluster.NodeJoin.Housekeeping;

// What differs between the agent's and the builder's housekeeping. EngineName names the engine
// in log lines ("this node", "the build server's engine"). LocalKeep lists images the daemon
// itself keeps, on top of the leader's keep list (read at each prune). Gate says when a prune
// may run (IPruneGate.Open: at once).
internal sealed record HousekeeperSetup(string EngineName, Func<IEnumerable<string>> LocalKeep, IPruneGate Gate);
