using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cluster.Core.Git;
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
        var start = new ProcessStartInfo("ssh-keyscan")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-T", ((int)Math.Ceiling(_timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture), "-p", remote.Port.ToString(CultureInfo.InvariantCulture), "-t", "ed25519,ecdsa,rsa", "--", remote.Host })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception();
        }
        catch (Win32Exception)
        {
            throw new OperationException(OperationError.Unavailable, $"cannot read the SSH host keys of {remote.HostKeyName}: ssh-keyscan is not installed on the leader (apt-get install openssh-client), or pass the server's keys with --known-hosts FILE");
        }

        using (process)
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(_timeout + TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var entries = KnownHosts.Parse(await output, "ssh-keyscan's output").Where(e => e.Matches(remote.HostKeyName)).ToList();
            if (entries.Count == 0)
            {
                var why = (await error).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).LastOrDefault();
                throw new OperationException(OperationError.Unavailable, $"cannot read the SSH host keys of {remote.HostKeyName} from the leader{(why is null ? " (no SSH server answered in time)" : $" ({why})")}: check the host and port are reachable from the leader, or pass the server's keys with --known-hosts FILE");
            }

            return entries;
        }
    }
}
