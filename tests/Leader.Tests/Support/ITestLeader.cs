namespace Cluster.Leader.Tests.Support;

// What node-side test helpers (NodeEnrollment, BuilderSessionClient) need of a leader, whether it
// runs in-process (InProcessLeader) or as its binary (LeaderBinary, for restarts and signals).
public interface ITestLeader
{
    int Port { get; }

    string Address { get; }

    string JoinToken { get; }

    string CaFingerprint { get; }
}
