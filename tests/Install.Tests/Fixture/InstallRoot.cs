using System.Globalization;
using System.Security.Cryptography;
using Cluster.Testing;

namespace Cluster.Install.Tests.Fixture;

// One install of the product into a temporary root (CLUSTER_ROOT): what install.sh would put
// in /opt/cluster, /etc/cluster, /var/lib/cluster and /usr/local/bin lands under Dir instead,
// and its daemons run as a system user of its own. The root starts with the skeleton a real
// machine has (etc, opt, usr/local/bin, var/lib), so "uninstall --purge leaves nothing" means:
// the skeleton again, exactly.
public sealed class InstallRoot
{
    private static readonly string[] Skeleton = ["etc", "opt", "usr", "usr/local", "usr/local/bin", "var", "var/lib"];

    public InstallRoot(string parent, string name)
    {
        Dir = Path.Combine(parent, name);
        foreach (var dir in Skeleton)
        {
            Directory.CreateDirectory(Path.Combine(Dir, dir));
        }

        OpenForOthers(Dir);
        // Short, unique, valid as a user name (useradd): the daemons' user of this install.
        User = "cit" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    }

    public string Dir { get; }

    public string User { get; }

    public string Prefix => Path.Combine(Dir, "opt", "cluster");

    public string Etc => Path.Combine(Dir, "etc", "cluster");

    public string Data => Path.Combine(Dir, "var", "lib", "cluster");

    public string ClusterCtl => Path.Combine(Dir, "usr", "local", "bin", "clusterctl");

    public string NodeIdFile => Path.Combine(Data, "agent", "node.id");

    public bool Installed => File.Exists(Path.Combine(Etc, "install.env"));

    public Dictionary<string, string> Env => new(StringComparer.Ordinal)
    {
        ["CLUSTER_ROOT"] = Dir,
        ["CLUSTER_USER"] = User,
        ["CLUSTER_CONFIGURATION"] = Repo.Configuration,
    };

    // `install.sh ARGS` as root, optionally inside a lab node's network namespace (as on that node).
    public Task<ProcessResult> InstallAsync(string[] args, string? netns = null, string? stdin = null, TimeSpan? timeout = null)
    {
        string[] command = netns is null
            ? ["bash", Repo.InstallScript, .. args]
            : ["nsenter", $"--net=/var/run/netns/{netns}", "--", "bash", Repo.InstallScript, .. args];
        return ProcessRunner.RunAsync(command[0], command[1..], timeout ?? TimeSpan.FromMinutes(5), Env, stdin);
    }

    // The installed clusterctl (the wrapper in BINDIR, configured by ETC/clusterctl.conf).
    public Task<ProcessResult> CtlAsync(params string[] args) => CtlWithStdinAsync(null, args);

    public Task<ProcessResult> CtlWithStdinAsync(string? stdin, params string[] args) =>
        ProcessRunner.RunAsync(ClusterCtl, args, TimeSpan.FromMinutes(1), stdin: stdin);

    // Every path under the root, relative and sorted: files, directories, links, sockets.
    public IReadOnlyList<string> Tree() =>
        Directory.EnumerateFileSystemEntries(Dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(Dir, p))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<string> SkeletonTree => [.. Skeleton.Order(StringComparer.Ordinal)];

    // The pids in DATA/run (supervisors and daemons), by file name.
    public IReadOnlyDictionary<string, int> PidFiles()
    {
        var run = Path.Combine(Data, "run");
        if (!Directory.Exists(run))
        {
            return new Dictionary<string, int>();
        }

        return Directory.GetFiles(run, "*.pid")
            .ToDictionary(f => Path.GetFileName(f), f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    public int DaemonPid(string service) => PidFiles()[service + ".pid"];

    // Processes whose command line names this root: what install.sh started from it.
    public IReadOnlyList<(int Pid, string CommandLine)> Processes() => Procs.Where(p => p.CommandLine.Contains(Dir, StringComparison.Ordinal)).ToList();

    public static IEnumerable<(int Pid, string CommandLine)> Procs
    {
        get
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                {
                    continue;
                }

                string cmdline;
                try
                {
                    cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                if (cmdline.Length > 0)
                {
                    yield return (pid, cmdline);
                }
            }
        }
    }

    public static bool Alive(int pid)
    {
        try
        {
            var status = File.ReadAllText($"/proc/{pid}/status");
            return !status.Contains("State:\tZ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static int UidOf(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public async Task<bool> UserExistsAsync() => (await ProcessRunner.RunAsync("getent", ["passwd", User], TimeSpan.FromSeconds(30))).ExitCode == 0;

    // The safety net after the tests: uninstall if something is still installed, then end what
    // is left of this root's processes (ours, by pid), the user, and the files.
    public async Task CleanUpAsync()
    {
        if (Installed || Directory.Exists(Path.Combine(Data, "run")))
        {
            await InstallAsync(["uninstall", "--purge"], timeout: TimeSpan.FromMinutes(2));
        }

        foreach (var (pid, _) in Processes())
        {
            using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        if (await UserExistsAsync())
        {
            await ProcessRunner.RunAsync("userdel", [User], TimeSpan.FromSeconds(30));
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp dir is harmless
        }
    }

    public static void OpenForOthers(string dir) =>
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
}
