namespace Cluster.Leader.Tests.Support;

// What node-side test helpers (NodeEnrollment, BuilderSessionClient) need of a leader: the
// in-process one (InProcessLeader, restarts included). The binary itself, its process, signals
// and exit codes, is tested in tests/Daemons.Tests.
public interface ITestLeader
{
    int Port { get; }

    string Address { get; }

    string JoinToken { get; }

    string CaFingerprint { get; }
}
