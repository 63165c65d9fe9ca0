using System.Net;
using System.Net.Sockets;

namespace Cluster.Install.Tests.Fixture;

// Shared by the install steps: the lab, a work dir, relays to the engines of lab nodes 1 (the
// swarm manager) and 2 (a worker), and two install roots: A gets all-in-one (the leader's
// machine), B gets the agent of node 2. Whatever a step leaves behind is removed at the end.
public sealed class InstallFixture : IAsyncLifetime
{
    private readonly List<InstallRoot> _roots = [];

    public LabEnv Lab { get; private set; } = null!;

    public string WorkDir { get; private set; } = null!;

    public UnixSocketProxy ManagerEngine { get; private set; } = null!;

    public UnixSocketProxy WorkerEngine { get; private set; } = null!;

    public InstallRoot Leader { get; private set; } = null!;

    public InstallRoot Node2 { get; private set; } = null!;

    // Where the all-in-one leader listens: the lab bridge, reachable from every lab node.
    public string LeaderAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException("the install tests run install.sh for real and need root (sudo ./test.sh)");
        }

        Lab = await LabEnv.UpAsync();
        WorkDir = Directory.CreateTempSubdirectory("cit-").FullName;
        InstallRoot.OpenForOthers(WorkDir);
        ManagerEngine = await UnixSocketProxy.StartAsync(Path.Combine(WorkDir, "n1.sock"), Lab.NodeSocketPath(1), "docker");
        WorkerEngine = await UnixSocketProxy.StartAsync(Path.Combine(WorkDir, "n2.sock"), Lab.NodeSocketPath(2), "docker");
        Leader = NewRoot("a");
        Node2 = NewRoot("b");
        LeaderAddress = $"{Lab.HostIp}:{FreePort(Lab.HostIp)}";
    }

    public InstallRoot NewRoot(string name)
    {
        var root = new InstallRoot(WorkDir, name);
        lock (_roots)
        {
            _roots.Add(root);
        }

        return root;
    }

    // A 0600 file holding `text`, outside every install root.
    public string SecretFile(string name, string text)
    {
        var path = Path.Combine(WorkDir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public async Task DisposeAsync()
    {
        // Agents first, then the leader they talk to.
        foreach (var root in Enumerable.Reverse(_roots))
        {
            await root.CleanUpAsync();
        }

        if (WorkerEngine is not null)
        {
            await WorkerEngine.DisposeAsync();
        }

        if (ManagerEngine is not null)
        {
            await ManagerEngine.DisposeAsync();
        }

        if (WorkDir is not null)
        {
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (IOException)
            {
                // harmless leftover in /tmp
            }
        }

        if (Lab is not null)
        {
            await Lab.DownIfStartedHereAsync();
        }
    }

    public static int FreePort(string ip)
    {
        using var listener = new TcpListener(IPAddress.Parse(ip), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class InstallCollection : ICollectionFixture<InstallFixture>
{
    public const string Name = "install";
}
