using Cluster.Cli.Commands;

namespace Cluster.Core.Tests.Cli;

// `--password-stdin` removes what `docker login --password-stdin` removes, and nothing more.
public sealed class PasswordStdinTests
{
    [Theory]
    [InlineData("pw", "pw")]
    [InlineData("pw\n", "pw")]
    [InlineData("pw\r\n", "pw")]
    [InlineData("pw\n\n", "pw\n")]
    [InlineData("pw\r\n\r\n", "pw\r\n")]
    [InlineData("pw\r", "pw\r")]
    [InlineData("pw \n", "pw ")]
    [InlineData("\n", "")]
    [InlineData("", "")]
    public void StripOneNewline_RemovesExactlyOneTrailingNewline(string stdin, string password)
    {
        Assert.Equal(password, RegistryCommands.StripOneNewline(stdin));
    }
}
