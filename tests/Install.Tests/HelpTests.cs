using Cluster.Install.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Install.Tests;

// `install.sh --help` explains every role and flag, and each role has its own --help; these
// need no root and change nothing.
public sealed class HelpTests
{
    [Fact]
    public async Task Help_names_every_role_and_flag()
    {
        var help = await ProcessRunner.RunAsync("bash", [Repo.InstallScript, "--help"], TimeSpan.FromMinutes(1));

        Assert.True(help.ExitCode == 0, help.ToString());
        string[] words =
        [
            "all-in-one", "leader", "agent", "builder", "uninstall", "status", "--yes", "--docker-host", "--listen", "--advertise",
            "--swarm-advertise-addr", "--leader", "--join-token-file", "--join-token-stdin", "--user", "--init", "--no-build",
            "--binaries", "--self-contained", "--wait", "--purge", "CLUSTER_PREFIX", "CLUSTER_ETC", "CLUSTER_DATA", "CLUSTER_ROOT",
        ];
        foreach (var word in words)
        {
            Assert.True(help.Output.Contains(word, StringComparison.Ordinal), $"'{word}' is not in install.sh --help:\n{help.Output}");
        }
    }

    [Theory]
    [InlineData("all-in-one", "self-check")]
    [InlineData("leader", "swarm init")]
    [InlineData("agent", "--join-token-file")]
    [InlineData("builder", "--join-token-file")]
    [InlineData("uninstall", "--purge")]
    [InlineData("status", "supervisor")]
    [InlineData("units", "systemd-analyze verify")]
    public async Task Every_role_has_its_own_help(string role, string mentions)
    {
        var help = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "bash", Repo.InstallScript, role, "--help"], TimeSpan.FromMinutes(1));

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains($"install.sh {role}", help.Output, StringComparison.Ordinal);
        Assert.Contains(mentions, help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_role_prints_the_usage_and_fails()
    {
        var result = await ProcessRunner.RunAsync("bash", [Repo.InstallScript], TimeSpan.FromMinutes(1));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: install.sh ROLE", result.Output, StringComparison.Ordinal);
    }
}
