using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cluster.BuildServer.Jobs;

namespace Cluster.BuildServer.Git;

// A private ssh-agent holding one SSH key for one fetch, so the key is never written to disk:
// the agent is started by the builder in the foreground (-D, so this process owns its pid), its
// socket lives in a fresh temp directory of mode 0700 that only the builder's user can enter,
// the key reaches it through `ssh-add -` on stdin (never argv, never a file), and on dispose the
// agent is killed by pid and the directory removed. ssh then authenticates through the socket
// (IdentityAgent) and never sees the key either.
internal sealed class SshAgent : IAsyncDisposable
{
    private readonly Process _agent;
    private readonly string _dir;

    private SshAgent(Process agent, string dir)
    {
        _agent = agent;
        _dir = dir;
    }

    public string SocketPath => Path.Combine(_dir, "agent.sock");

    // Starts the agent and loads `privateKey` (an unencrypted OpenSSH key). `lifetime` bounds how
    // long the agent keeps the key even if it outlived us (ssh-agent -t). BuildFailure ("fetch")
    // says what is missing or what ssh-add refused; it never holds the key.
    public static async Task<SshAgent> StartAsync(string privateKey, string label, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        // .NET creates it with mode 0700 on Unix.
        var dir = Directory.CreateTempSubdirectory("cluster-ssh-").FullName;
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var socket = Path.Combine(dir, "agent.sock");
        var start = Start("ssh-agent", ["-D", "-a", socket, "-t", ((long)Math.Ceiling(lifetime.TotalSeconds)).ToString(CultureInfo.InvariantCulture)]);
        Process agent;
        try
        {
            agent = Process.Start(start) ?? throw new Win32Exception();
        }
        catch (Win32Exception)
        {
            Directory.Delete(dir, recursive: true);
            throw new BuildFailure("fetch", "cannot start ssh-agent on the build server, which SSH sources need: install openssh-client (apt-get install openssh-client)");
        }

        var self = new SshAgent(agent, dir);
        try
        {
            agent.StandardInput.Close();
            _ = agent.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var agentError = agent.StandardError.ReadToEndAsync(CancellationToken.None);
            for (var i = 0; !File.Exists(socket); i++)
            {
                if (agent.HasExited || i >= 100)
                {
                    throw new BuildFailure("fetch", $"ssh-agent did not start on the build server: {LastLine(agent.HasExited ? await agentError : "") ?? "no socket after 5 s"}");
                }

                await Task.Delay(50, cancellationToken);
            }

            var add = Start("ssh-add", ["-q", "-"]);
            add.Environment["SSH_AUTH_SOCK"] = socket;
            Process? started;
            try
            {
                started = Process.Start(add);
            }
            catch (Win32Exception)
            {
                started = null;
            }

            using var adder = started ?? throw new BuildFailure("fetch", "cannot run ssh-add on the build server, which SSH sources need: install openssh-client (apt-get install openssh-client)");
            var addError = adder.StandardError.ReadToEndAsync(CancellationToken.None);
            var addOutput = adder.StandardOutput.ReadToEndAsync(CancellationToken.None);
            await adder.StandardInput.WriteAsync(privateKey);
            adder.StandardInput.Close();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await adder.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                adder.Kill();
                cancellationToken.ThrowIfCancellationRequested();
                throw new BuildFailure("fetch", "ssh-add did not finish within 30 s");
            }

            await addOutput;
            if (adder.ExitCode != 0)
            {
                throw new BuildFailure("fetch", $"ssh-add refused the private key of {label} ({LastLine(await addError) ?? $"exit code {adder.ExitCode}"}): replace it with `clusterctl git update NAME --ssh-key-file FILE` (an OpenSSH key without passphrase)");
            }

            return self;
        }
        catch
        {
            await self.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_agent.HasExited)
            {
                _agent.Kill();
                await _agent.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        finally
        {
            _agent.Dispose();
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // already gone
            }
        }
    }

    private static ProcessStartInfo Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Never ask anyone for a passphrase: the leader only stores keys without one.
        start.Environment["SSH_ASKPASS"] = "/bin/false";
        start.Environment["SSH_ASKPASS_REQUIRE"] = "never";
        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("SSH_AUTH_SOCK");
        start.Environment["LC_ALL"] = "C";
        return start;
    }

    private static string? LastLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
}
