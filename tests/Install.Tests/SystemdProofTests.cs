using Cluster.Install.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Install.Tests;

// The units under a real systemd as PID 1: systemd-proof.sh boots a Debian 12 rootfs
// (debootstrap, cached in /var/tmp) with systemd-nspawn, runs install.sh all-in-one inside it
// against the lab's manager engine, and checks readiness (Type=notify), journald, the hardening
// as the running leader sees it, restart on failure, upgrade and uninstall --purge. The first
// run spends about a minute on debootstrap; later runs take about 20 s.
[Collection(InstallCollection.Name)]
public sealed class SystemdProofTests(InstallFixture fx)
{
    [Fact]
    public async Task Units_start_and_hold_under_a_real_systemd_pid_1()
    {
        Assert.NotNull(fx.Lab);
        var script = Path.Combine(Repo.Root, "tests", "Install.Tests", "systemd-proof.sh");
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["CLUSTER_CONFIGURATION"] = Repo.Configuration };

        var result = await ProcessRunner.RunAsync("bash", [script], TimeSpan.FromMinutes(6), env);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("systemd proof: 18 passed, 0 failed", result.Output, StringComparison.Ordinal);
    }
}
