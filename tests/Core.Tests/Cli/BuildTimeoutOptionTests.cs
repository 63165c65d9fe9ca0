namespace Cluster.Core.Tests.Cli;

// `app create --build-timeout DURATION` is checked before anything is sent (no leader is needed
// to be refused): the error names the flag, and a value under a second is not sent as 0, which
// the leader reads as "the default timeout".
// 500ms and 0s were sent as 0 (the default, silently); -5s was refused without naming the flag.
public sealed class BuildTimeoutOptionTests
{
    // Well-formed, for a leader that is never reached (port 1 refuses; the flag is checked first).
    private static readonly string Token = $"CLSTR1-ADMIN-{new string('a', 64)}-{new string('b', 64)}";

    [Theory]
    [InlineData("-5s")]
    [InlineData("5x")]
    [InlineData("soon")]
    [InlineData("0.5")]
    public async Task Create_BadDuration_RefusedNamingTheFlag(string value)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "--token", Token, "app", "create", "web", "--git", "https://git.example.com/acme/web.git", "--build-timeout", value);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"--build-timeout '{value}' is not a duration like 90s, 20m or 1h", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4s")]
    [InlineData("500ms")]
    [InlineData("0s")]
    public async Task Create_UnderASecond_RefusedInsteadOfMeaningTheDefault(string value)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "--token", Token, "app", "create", "web", "--git", "https://git.example.com/acme/web.git", "--build-timeout", value);

        Assert.Equal(1, exit);
        Assert.Contains($"--build-timeout '{value}' is too short: give at least 5s (without the flag the cluster's default applies)", stderr, StringComparison.Ordinal);
    }
}
