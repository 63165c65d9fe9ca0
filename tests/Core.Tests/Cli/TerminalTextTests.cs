using Cluster.Cli.Output;

namespace Cluster.Core.Tests.Cli;

// clusterctl's last line of defence for text relayed from agents, registries and engines: no
// escape sequences, carriage returns, bells, C1 controls or bidi overrides reach the terminal,
// and a table cell never breaks its row.
public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("evil\u001b[2Jx", "evil[2Jx")]
    [InlineData("a\rb", "ab")]
    [InlineData("bell\u0007", "bell")]
    [InlineData("csi\u009bx", "csix")]
    [InlineData("rl\u202Eo", "rlo")]
    [InlineData("iso\u2066x\u2069", "isox")]
    [InlineData("plain text", "plain text")]
    [InlineData("two\nlines\tand tab", "two\nlines\tand tab")]
    public void Clean_MultiLine_DropsControlAndBidiKeepsLayout(string input, string expected) =>
        Assert.Equal(expected, TerminalText.Clean(input));

    [Theory]
    [InlineData("node\nready", "node ready")]
    [InlineData("a\tb\rc", "a b c")]
    [InlineData("x\u001b]0;t\u0007y", "x]0;ty")]
    public void Clean_SingleLine_TurnsBreaksIntoSpaces(string input, string expected) =>
        Assert.Equal(expected, TerminalText.Clean(input, singleLine: true));
}
