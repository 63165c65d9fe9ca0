using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Processes;

namespace Cluster.BuildServer.Git;

// A private ssh-agent holding one SSH key for one fetch, so the key is never written to disk:
// the agent is started by the builder in the foreground (-D, so this process owns its pid), its
// socket lives in a fresh temp directory of mode 0700 that only the builder's user can enter,
// the key reaches it through `ssh-add -` on stdin (never argv, never a file), and on dispose the
// agent is killed by pid and the directory removed. ssh then authenticates through the socket
// (IdentityAgent) and never sees the key either.
internal sealed class SshAgent : IAsyncDisposable
{
    // Never ask anyone for a passphrase: the leader only stores keys without one.
    private static readonly Dictionary<string, string> NoPrompt = new(StringComparer.Ordinal)
    {
        ["SSH_ASKPASS"] = "/bin/false",
        ["SSH_ASKPASS_REQUIRE"] = "never",
        ["LC_ALL"] = "C",
    };

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

            ChildProcessResult add;
            try
            {
                add = await ChildProcess.RunAsync(
                    new ChildProcessRequest
                    {
                        FileName = "ssh-add",
                        Arguments = ["-q", "-"],
                        Environment = new Dictionary<string, string>(NoPrompt) { ["SSH_AUTH_SOCK"] = socket },
                        RemoveEnvironment = ["DISPLAY"],
                        StandardInput = privateKey,
                        Timeout = TimeSpan.FromSeconds(30),
                    },
                    cancellationToken: cancellationToken);
            }
            catch (ChildProcessStartException)
            {
                throw new BuildFailure("fetch", "cannot run ssh-add on the build server, which SSH sources need: install openssh-client (apt-get install openssh-client)");
            }

            if (add.TimedOut)
            {
                throw new BuildFailure("fetch", "ssh-add did not finish within 30 s");
            }

            if (add.ExitCode != 0)
            {
                throw new BuildFailure("fetch", $"ssh-add refused the private key of {label} ({LastLine(add.Error) ?? $"exit code {add.ExitCode}"}): replace it with `clusterctl git update NAME --ssh-key-file FILE` (an OpenSSH key without passphrase)");
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

        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("SSH_AUTH_SOCK");
        foreach (var (key, value) in NoPrompt)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    private static string? LastLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
}
