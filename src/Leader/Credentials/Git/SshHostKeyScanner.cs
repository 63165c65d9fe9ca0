using System.Globalization;
using Cluster.Core.Git;
using Cluster.Core.Processes;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Credentials.Git;

// Reads a Git server's SSH host keys with ssh-keyscan (OpenSSH's own client code, every key type
// it supports) when `git add --ssh-key-file` comes without --known-hosts. The leader, not
// clusterctl, scans: the leader sits on the cluster's network like the build servers that will
// connect, while an admin's machine may see another network (or nothing) behind the same name.
// This trusts the network once (as ssh's first connection does); the keys' fingerprints go back
// to the operator to compare, and from then on only they are accepted.
public sealed class SshHostKeyScanner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan _timeout;

    public SshHostKeyScanner()
        : this(DefaultTimeout)
    {
    }

    public SshHostKeyScanner(TimeSpan timeout) => _timeout = timeout;

    // The host's keys as known_hosts entries for remote.HostKeyName. OperationException
    // (Unavailable) says why none could be read and what to do instead.
    public async Task<IReadOnlyList<KnownHostEntry>> ScanAsync(GitRemote remote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ChildProcessResult scan;
        try
        {
            // ssh-keyscan's own -T bounds each connection; the run's deadline, a little longer,
            // bounds the whole program.
            scan = await ChildProcess.RunAsync(
                new ChildProcessRequest
                {
                    FileName = "ssh-keyscan",
                    Arguments = ["-T", ((int)Math.Ceiling(_timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "-p", remote.Port.ToString(CultureInfo.InvariantCulture), "-t", "ed25519,ecdsa,rsa", "--", remote.Host],
                    Environment = new Dictionary<string, string> { ["LC_ALL"] = "C" },
                    Timeout = _timeout + TimeSpan.FromSeconds(5),
                },
                cancellationToken: cancellationToken);
        }
        catch (ChildProcessStartException)
        {
            throw new OperationException(OperationError.Unavailable, $"cannot read the SSH host keys of {remote.HostKeyName}: ssh-keyscan is not installed on the leader (apt-get install openssh-client), or pass the server's keys with --known-hosts FILE");
        }

        var entries = KnownHosts.Parse(scan.Output, "ssh-keyscan's output").Where(e => e.Matches(remote.HostKeyName)).ToList();
        if (entries.Count == 0)
        {
            var why = scan.Error.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).LastOrDefault();
            throw new OperationException(OperationError.Unavailable, $"cannot read the SSH host keys of {remote.HostKeyName} from the leader{(why is null ? " (no SSH server answered in time)" : $" ({why})")}: check the host and port are reachable from the leader, or pass the server's keys with --known-hosts FILE");
        }

        return entries;
    }
}
