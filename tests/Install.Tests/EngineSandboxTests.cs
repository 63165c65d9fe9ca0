using Cluster.Install.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Install.Tests;

// #13 item 10: on a machine without systemd, install.sh starts the Docker engine itself (under
// its own supervisor) when none answers; `uninstall --purge` must stop that engine and say so,
// not leave dockerd running with its supervisor's pid files deleted. engine-sandbox.sh gives
// install.sh such a machine (private /run, /var/lib/docker, /etc/docker, network and pid
// namespaces; nothing of it outlives the script), installs all-in-one there, uninstalls with
// --purge and checks what is left. It needs no lab; it runs in this collection so that it never
// competes with the other install steps for the machine's 2 cores.
[Collection(InstallCollection.Name)]
public sealed class EngineSandboxTests
{
    [Fact]
    public async Task Uninstall_purge_without_systemd_stops_the_engine_install_sh_started()
    {
        var script = Path.Combine(Repo.Root, "tests", "Install.Tests", "engine-sandbox.sh");
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["CLUSTER_CONFIGURATION"] = Repo.Configuration };

        var result = await ProcessRunner.RunAsync("bash", [script], TimeSpan.FromMinutes(5), env);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("engine sandbox: 12 passed, 0 failed", result.Output, StringComparison.Ordinal);
    }
}
