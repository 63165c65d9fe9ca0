using System.CommandLine;
using Cluster.Cli;

namespace Cluster.Core.Tests.Cli;

// `clusterctl deployment cancel ID` (INTERFACE.md) parses as the interface spells it; the leader
// side is tested in Leader.Tests/Deployments against the real binaries.
public sealed class DeploymentCancelCommandTests
{
    [Fact]
    public void Parse_IdAndJson_NoErrors()
    {
        var root = ClusterCtl.Build(TextWriter.Null, TextWriter.Null, TextReader.Null);

        var parse = root.Parse(["deployment", "cancel", "d0123456789abcde", "-o", "json"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("cancel", parse.CommandResult.Command.Name);
        Assert.Equal("d0123456789abcde", parse.GetValue<string>("ID"));
    }

    [Fact]
    public async Task Run_WithoutId_ExitsNonZeroNamingTheMissingArgument()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("deployment", "cancel");

        Assert.NotEqual(0, exit);
        Assert.Contains("Required argument missing for command: 'cancel'", stderr, StringComparison.Ordinal);
    }
}
