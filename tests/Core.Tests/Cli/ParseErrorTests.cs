namespace Cluster.Core.Tests.Cli;

// A command line clusterctl cannot run is reported in the shape of clusterctl's own errors: on
// stderr, every line starting "clusterctl: ", the last naming the --help of the command
// concerned; exit code 1; nothing on stdout. System.CommandLine's report printed the errors bare
// (no prefix), then the whole help text on stdout. --help itself is not an error.
public sealed class ParseErrorTests
{
    // Well-formed, for a leader that is never reached (port 1 refuses; flags are checked first).
    private static readonly string Token = $"CLSTR1-ADMIN-{new string('a', 64)}-{new string('b', 64)}";

    [Theory]
    [InlineData("frob", "Unrecognized command or argument 'frob'", "clusterctl")]
    [InlineData("", "Required command was not provided", "clusterctl")]
    [InlineData("app bogus", "Unrecognized command or argument 'bogus'", "clusterctl app")]
    [InlineData("app create web --bogus", "Unrecognized command or argument '--bogus'", "clusterctl app create")]
    [InlineData("deploy", "Required argument missing for command: 'deploy'", "clusterctl deploy")]
    [InlineData("app set web --replicas abc", "--replicas 'abc' is not a whole number: give a number of tasks from 1 to 100", "clusterctl app set")]
    [InlineData("app create web --image nginx --replicas 2x", "--replicas '2x' is not a whole number: give a number of tasks from 1 to 100", "clusterctl app create")]
    [InlineData("image parse nginx -o yaml", "-o/--output 'yaml' is not an output format: give -o text or -o json", "clusterctl image parse")]
    [InlineData("app set web --auto-sync maybe", "--auto-sync: Argument 'maybe' not recognized. Must be one of: 'on' 'off'", "clusterctl app set")]
    [InlineData("app set web --sync-interval 1s", "--sync-interval '1s' must be a duration between 5s and 24h", "clusterctl app set")]
    public async Task ParseError_ReportedLikeClusterctlErrorsWithTheCommandsHelp(string line, string problem, string command)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        var lines = stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("clusterctl: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(problem, StringComparison.Ordinal));
        Assert.Equal($"clusterctl: see `{command} --help` for its usage", lines[^1]);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("app create --help")]
    [InlineData("app create web --bogus --help")]
    public async Task Help_StillPrintsUsageOnStdoutAndSucceeds(string line)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(line.Split(' '));

        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("JSON")]
    [InlineData("json")]
    public async Task Output_JsonInAnyCase_IsAccepted(string value)
    {
        var (exit, stdout, _) = await CliRunner.RunAsync("image", "parse", "nginx", "-o", value);

        Assert.Equal(0, exit);
        Assert.StartsWith("{", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--env", "LOG_LEVEL", "clusterctl: --env 'LOG_LEVEL' has no '=VALUE': give NAME=VALUE, e.g. --env LOG_LEVEL=debug")]
    [InlineData("--build-arg", "VERSION", "clusterctl: --build-arg 'VERSION' has no '=VALUE': give NAME=VALUE, e.g. --build-arg VERSION=1.4.2")]
    public async Task KeyValue_NameWithoutValue_QuotedWithAnExample(string flag, string value, string expected)
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "--token", Token, "app", "create", "web", "--git", "https://git.example.com/acme/web.git", flag, "A=1", flag, value);

        Assert.Equal(1, exit);
        Assert.Equal(expected, stderr.TrimEnd());
    }

    [Theory]
    [InlineData("--env", "=hunter2-secret", "clusterctl: --env number 2 has no name before its '='")]
    [InlineData("--env", "hunter2:secret", "clusterctl: --env number 2 has no '=' (it is not shown: it may be a secret)")]
    [InlineData("--build-arg", "=hunter2-secret", "clusterctl: --build-arg number 2 has no name before its '='")]
    // A password or token typed without its NAME= is often a single word of name characters:
    // only an upper-case NAME (the environment's convention) is taken for a name and quoted.
    [InlineData("--env", "hunter2", "clusterctl: --env number 2 has no '=' (it is not shown: it may be a secret)")]
    [InlineData("--env", "ghp_hunter2hunter2hunter2hunter2hunter2", "clusterctl: --env number 2 has no '=' (it is not shown: it may be a secret)")]
    [InlineData("--build-arg", "sk_live_hunter2", "clusterctl: --build-arg number 2 has no '=' (it is not shown: it may be a secret)")]
    public async Task KeyValue_ValueWithoutName_NotEchoedButNamedByPosition(string flag, string value, string expected)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync("--leader", "127.0.0.1:1", "--token", Token, "app", "create", "web", "--git", "https://git.example.com/acme/web.git", flag, "A=1", flag, value);

        Assert.Equal(1, exit);
        Assert.StartsWith(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", stdout + stderr, StringComparison.Ordinal);
    }

    // Secrets are read from stdin only; one typed after an option clusterctl does not have
    // (--password VALUE, --token=VALUE) is an unrecognized token, which the parse error used to
    // quote whole. The option is named, the value is not.
    [Theory]
    [InlineData("registry add hub --url 127.0.0.1:1 --password hunter2-secret", "--password")]
    [InlineData("registry add hub --url 127.0.0.1:1 --password=hunter2-secret", "--password")]
    [InlineData("git add forge --url https://git.example.com/ --git-token hunter2-secret", "--git-token")]
    [InlineData("registry add hub --url 127.0.0.1:1 --client-secret=hunter2-secret --insecure", "--client-secret")]
    public async Task UnknownSecretOption_ItsValueIsNotEchoed(string line, string option)
    {
        var (exit, stdout, stderr) = await CliRunner.RunAsync(line.Split(' '));

        Assert.Equal(1, exit);
        Assert.DoesNotContain("hunter2", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains($"'{option}'", stderr, StringComparison.Ordinal);
        Assert.Contains("not shown", stderr, StringComparison.Ordinal);
    }

    // An unknown token is quoted by the parser itself: a terminal escape or a carriage return in
    // it must not reach the terminal raw (it could rewrite the line the user reads).
    [Fact]
    public async Task UnknownToken_ControlCharactersAreEscaped()
    {
        var (exit, _, stderr) = await CliRunner.RunAsync("app", "bogus\u001b[2K\rfine");

        Assert.Equal(1, exit);
        Assert.DoesNotContain('\u001b', stderr);
        Assert.DoesNotContain('\r', stderr);
        Assert.Contains("bogus\\u001b[2K\\rfine", stderr, StringComparison.Ordinal);
    }
}
