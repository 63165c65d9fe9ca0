using System.Net;
using System.Net.Sockets;
using Cluster.Testing;

namespace Cluster.Daemons.Tests;

// Every daemon answers --help, starts and logs, and exits 0 on SIGTERM (what systemd sends on
// stop), without needing a Docker engine or a leader to do so.
public sealed class DaemonLifecycleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-daemon-test-").FullName;

    public static TheoryData<string, string, string[]> Binaries => new()
    {
        { "Leader", "cluster-leader", ["--data-dir", "--listen", "--advertise", "--docker-host"] },
        { "NodeAgent", "cluster-agent", ["--leader", "--join-token", "--state-dir", "--docker-host"] },
        { "BuildServer", "cluster-builder", ["--leader", "--join-token", "--work-dir", "--docker-host"] },
        { "Cli", "clusterctl", ["--leader", "--token", "image"] },
    };

    [Theory]
    [MemberData(nameof(Binaries))]
    public async Task Help_AnyBinary_ListsItsInterfaceFlagsAndExitsZero(string project, string binary, string[] flags)
    {
        var (exit, output) = await Daemon.RunAsync(project, binary, "--help");

        Assert.Equal(0, exit);
        foreach (var flag in flags)
        {
            Assert.Contains(flag, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Leader_Sigterm_StopsCleanlyWithExitZero()
    {
        var port = FreePort();
        await using var leader = Daemon.Start("Leader", "cluster-leader",
            "--data-dir", Path.Combine(_dir, "leader"), "--listen", $"127.0.0.1:{port}",
            "--docker-host", $"unix://{_dir}/no-engine.sock");

        Assert.True(await leader.WaitForOutputAsync("listening on 127.0.0.1:" + port, TimeSpan.FromSeconds(60)), leader.Output);
        Assert.Contains("not available", leader.Output, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_dir, "leader")));
        leader.Signal("TERM");

        Assert.Equal(0, await leader.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopping", leader.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NodeAgent", "cluster-agent", "--state-dir")]
    [InlineData("BuildServer", "cluster-builder", "--work-dir")]
    public async Task Joiner_Sigterm_StopsCleanlyWithExitZero(string project, string binary, string dirFlag)
    {
        var tokenFile = Path.Combine(_dir, "join.token");
        await File.WriteAllTextAsync(tokenFile, "CLSTR1-JOIN-test-only\n");
        await using var daemon = Daemon.Start(project, binary,
            "--leader", "127.0.0.1:1", "--join-token-file", tokenFile, dirFlag, Path.Combine(_dir, binary),
            "--docker-host", $"unix://{_dir}/no-engine.sock");

        Assert.True(await daemon.WaitForOutputAsync("not answering", TimeSpan.FromSeconds(60)), daemon.Output);
        daemon.Signal("TERM");

        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("CLSTR1-JOIN-test-only", daemon.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NodeAgent", "cluster-agent", "--state-dir")]
    [InlineData("BuildServer", "cluster-builder", "--work-dir")]
    public async Task Joiner_NoJoinToken_ExplainsWhereToGetOne(string project, string binary, string dirFlag)
    {
        var (exit, output) = await Daemon.RunAsync(project, binary, "--leader", "127.0.0.1:7443", dirFlag, Path.Combine(_dir, "x"));

        Assert.NotEqual(0, exit);
        Assert.Contains("join.token", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_BadLeaderAddress_FailsAtStartNamingTheFlag()
    {
        var (exit, output) = await Daemon.RunAsync("NodeAgent", "cluster-agent", "--leader", "no-port", "--join-token", "x", "--state-dir", _dir);

        Assert.NotEqual(0, exit);
        Assert.Contains("--leader 'no-port' is not HOST:PORT", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leader_PortInUse_SaysSoWithoutStackTrace()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (exit, output) = await Daemon.RunAsync("Leader", "cluster-leader",
            "--data-dir", Path.Combine(_dir, "leader"), "--listen", $"127.0.0.1:{port}", "--docker-host", $"unix://{_dir}/no-engine.sock");

        Assert.NotEqual(0, exit);
        Assert.Contains("address already in use", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
