using Cluster.Install.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Install.Tests;

// The systemd units install.sh writes on a systemd machine, rendered with the real paths
// (/opt/cluster, /var/lib/cluster) and checked by systemd's own `systemd-analyze verify`.
// PID 1 is not systemd here, so verify runs against a fake root (--root): systemd's unit
// library copied in, and the programs the units start present at /opt/cluster/bin, so every
// check verify makes (syntax, known keys, executables, dependencies) is meaningful. Starting
// them under a real systemd as PID 1 is SystemdProofTests' job.
public sealed class UnitFileTests : IDisposable
{
    private static readonly string[] Services = ["cluster-leader", "cluster-agent", "cluster-builder"];

    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-units-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // harmless leftover in /tmp
        }
    }

    [Fact]
    public async Task Units_pass_systemd_analyze_verify()
    {
        var root = await FakeRootAsync();

        var verify = await VerifyAsync(root);

        Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, $"systemd-analyze verify complained:\n{verify}");
    }

    [Fact]
    public async Task Verify_is_meaningful_it_rejects_a_unit_whose_program_is_missing()
    {
        var root = await FakeRootAsync();
        File.Delete(Path.Combine(root, "opt", "cluster", "bin", "cluster-agent"));

        var verify = await VerifyAsync(root);

        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("cluster-agent", verify.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Units_are_hardened_notify_services_with_no_secret_inside()
    {
        var root = await FakeRootAsync();
        foreach (var service in Services)
        {
            var role = service["cluster-".Length..];
            var unit = File.ReadAllText(Path.Combine(root, "etc", "systemd", "system", service + ".service"));
            string[] expected =
            [
                "Type=notify", "Restart=on-failure", "StandardOutput=journal", "NoNewPrivileges=yes", "ProtectSystem=strict",
                $"ReadWritePaths=/var/lib/cluster/{role}", "PrivateTmp=yes", "ProtectHome=yes", "User=cluster", "SupplementaryGroups=docker",
                $"ExecStart=/opt/cluster/bin/{service} ", "WantedBy=multi-user.target",
            ];
            foreach (var line in expected)
            {
                Assert.True(unit.Contains(line, StringComparison.Ordinal), $"{service}: '{line}' missing:\n{unit}");
            }

            Assert.DoesNotContain("CLSTR1-", unit, StringComparison.Ordinal);
            Assert.DoesNotContain("--join-token ", unit, StringComparison.Ordinal);
            Assert.DoesNotContain("TOKEN=", unit, StringComparison.OrdinalIgnoreCase);
            if (role != "leader")
            {
                Assert.Contains("--join-token-file /var/lib/cluster/leader/join.token", unit, StringComparison.Ordinal);
            }
        }
    }

    // The units of an all-in-one install with the default paths, in a root systemd can verify.
    private async Task<string> FakeRootAsync()
    {
        var root = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        var units = Path.Combine(root, "etc", "systemd", "system");
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["CLUSTER_USER"] = "cluster" };
        var render = await ProcessRunner.RunAsync("bash", [Repo.InstallScript, "units", "--out", units], TimeSpan.FromMinutes(1), env);
        Assert.True(render.ExitCode == 0, render.ToString());

        // systemd's own units (sysinit.target, ...), which every service depends on.
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib", "systemd"));
        var copy = await ProcessRunner.RunAsync("cp", ["-a", "/usr/lib/systemd/system", Path.Combine(root, "usr", "lib", "systemd") + "/"], TimeSpan.FromMinutes(1));

        Assert.True(copy.ExitCode == 0, copy.ToString());
        foreach (var service in Services)
        {
            var lib = Path.Combine(root, "opt", "cluster", "lib", service);
            Directory.CreateDirectory(lib);
            var project = service switch { "cluster-leader" => "Leader", "cluster-agent" => "NodeAgent", _ => "BuildServer" };
            File.Copy(Cluster.Testing.Daemon.PathOf(project, service), Path.Combine(lib, service));
            Directory.CreateDirectory(Path.Combine(root, "opt", "cluster", "bin"));
            File.CreateSymbolicLink(Path.Combine(root, "opt", "cluster", "bin", service), $"../lib/{service}/{service}");
        }

        return root;
    }

    private static async Task<ProcessResult> VerifyAsync(string root)
    {
        await EnsureSystemdAnalyzeAsync();
        return await ProcessRunner.RunAsync("systemd-analyze",
            ["verify", "--root=" + root, .. Services.Select(s => $"/etc/systemd/system/{s}.service")], TimeSpan.FromMinutes(2));
    }

    // systemd-analyze comes with Debian's systemd package (installed even where PID 1 is not systemd).
    private static async Task EnsureSystemdAnalyzeAsync()
    {
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            return;
        }

        var install = await ProcessRunner.RunAsync("apt-get", ["install", "-y", "-qq", "systemd"], TimeSpan.FromMinutes(5),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["DEBIAN_FRONTEND"] = "noninteractive" });
        Assert.True(install.ExitCode == 0 && File.Exists("/usr/bin/systemd-analyze"), $"systemd-analyze is missing and apt-get install systemd failed:\n{install}");
    }
}
