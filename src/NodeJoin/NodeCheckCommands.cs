using System.Globalization;

namespace Cluster.NodeJoin;

// `join --check` and `status`: one line on stdout and an exit code, for install.sh and
// operators, read from the state dir alone (no leader, no engine needed).
//   join --check: 0 joined (usable identity), 1 not joined (why).
//   status:       0 connected, 1 not connected yet or retrying (why), 3 removed, 4 duplicate.
internal static class NodeCheckCommands
{
    public const int NotJoined = 1;
    public const int RemovedExit = 3;
    public const int DuplicateExit = 4;

    public static int JoinCheck(string stateDir, TextWriter stdout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(time);
        var store = new IdentityStore(stateDir);
        var verdict = store.TryLoad(out var identity, out var problem)
            ? IdentityRules.Evaluate(identity, null, time.GetUtcNow())
            : problem!;
        if (verdict.IsUsable)
        {
            stdout.WriteLine($"joined as node {identity!.NodeId}; certificate valid until {identity.NotAfter.ToString("u", CultureInfo.InvariantCulture)}");
            return 0;
        }

        stdout.WriteLine($"not joined: {verdict.Reason}");
        return NotJoined;
    }

    public static int Status(string stateDir, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var status = new NodeStatusFile(stateDir).Read();
        switch (status?.State)
        {
            case NodeStatusFile.Connected:
                stdout.WriteLine($"connected as node {status.NodeId} since {status.At.ToString("u", CultureInfo.InvariantCulture)}");
                return 0;
            case NodeStatusFile.Removed:
                stdout.WriteLine(status.Reason);
                return RemovedExit;
            case NodeStatusFile.Duplicate:
                stdout.WriteLine($"not connected: {status.Reason}");
                return DuplicateExit;
            case NodeStatusFile.Retrying:
                stdout.WriteLine($"not connected: {status.Reason}");
                return NotJoined;
            default:
                stdout.WriteLine($"no status yet in {stateDir}: the daemon has not started a session (is it running?)");
                return NotJoined;
        }
    }
}
