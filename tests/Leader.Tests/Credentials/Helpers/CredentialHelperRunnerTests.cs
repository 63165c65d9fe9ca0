using Cluster.Leader.Credentials.Helpers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Credentials.Helpers;

// The runner against real programs (shell scripts installed as docker-credential-*).
public sealed class CredentialHelperRunnerTests : IDisposable
{
    private const string EnvSecret = "AWS-SECRET-do-not-show-7f3a";
    private readonly TestHelpers _helpers = new();

    public void Dispose() => _helpers.Dispose();

    [Fact]
    public async Task Get_ProtocolAnswer_UsernameAndSecretAndServerUrlOnStdin()
    {
        // Username echoes what came on stdin: the server URL, as Docker sends it.
        _helpers.Install("echo", "read -r url; printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"tok-1\"}' \"$url\" \"$url\"");

        var run = await Runner().GetAsync("echo", "10.77.0.254:5000", new Dictionary<string, string>(), [], CancellationToken.None);

        Assert.True(run.Ok, run.Error);
        Assert.Equal("10.77.0.254:5000", run.Username);
        Assert.Equal("tok-1", run.Secret);
        Assert.DoesNotContain("tok-1", run.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Environment_OnlyPathHomeAndTheSealedValues_HomeIsDeletedAfter()
    {
        // The helper reports the names of its environment variables and its HOME, and leaves a
        // cache file there as docker-credential-ecr-login does.
        _helpers.Install("env", "mkdir -p \"$HOME/.ecr\"; echo cached > \"$HOME/.ecr/cache.json\"; names=$(env | cut -d= -f1 | sort | tr '\\n' ' '); printf '{\"Username\":\"%s|%s|%s\",\"Secret\":\"s\"}' \"$names\" \"$HOME\" \"$AWS_SECRET_ACCESS_KEY\"");
        Environment.SetEnvironmentVariable("CLUSTER_TEST_LEAK", "leader-only");
        try
        {
            var run = await Runner().GetAsync("env", "host", new Dictionary<string, string> { ["AWS_SECRET_ACCESS_KEY"] = EnvSecret }, [], CancellationToken.None);

            Assert.True(run.Ok, run.Error);
            var parts = run.Username!.Split('|');
            var names = parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(n => n is not ("PWD" or "SHLVL" or "_" or "OLDPWD")).ToList();
            Assert.Equal(["AWS_SECRET_ACCESS_KEY", "HOME", "PATH"], names);
            Assert.Equal(EnvSecret, parts[2]);
            Assert.False(Directory.Exists(parts[1]), $"the helper's HOME {parts[1]} outlived the run");
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLUSTER_TEST_LEAK", null);
        }
    }

    [Fact]
    public async Task Get_ExitsNonZero_ErrorHasItsWordsWithSecretsRedacted()
    {
        _helpers.Install("fails", $"echo \"credentials not found for key $AWS_SECRET_ACCESS_KEY (old token old-token-123)\" >&2; exit 3");

        var run = await Runner().GetAsync("fails", "host", new Dictionary<string, string> { ["AWS_SECRET_ACCESS_KEY"] = EnvSecret }, ["old-token-123"], CancellationToken.None);

        Assert.False(run.Ok);
        Assert.Contains("docker-credential-fails get exited 3", run.Error, StringComparison.Ordinal);
        Assert.Contains("credentials not found", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(EnvSecret, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("old-token-123", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_PrintsGarbage_ClearErrorThatDoesNotQuoteIt()
    {
        _helpers.Install("garbage", "echo 'Secret=raw-token-55 not json'");

        var run = await Runner().GetAsync("garbage", "host", new Dictionary<string, string>(), [], CancellationToken.None);

        Assert.False(run.Ok);
        Assert.Contains("not the credential-helper JSON", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("raw-token-55", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_JsonWithoutSecret_ClearError()
    {
        _helpers.Install("nosecret", "echo '{\"Username\":\"AWS\"}'");

        var run = await Runner().GetAsync("nosecret", "host", new Dictionary<string, string>(), [], CancellationToken.None);

        Assert.False(run.Ok);
        Assert.Contains("without a Secret", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Hangs_KilledAtTheTimeoutWithItsChildren()
    {
        var pidFile = Path.Combine(_helpers.Dir, "child.pid");
        _helpers.Install("hangs", $"sleep 300 & echo $! > {pidFile}; echo waiting for the network >&2; wait");

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        // The runner's clock moves past its 1 s timeout once the helper runs (its child's pid is
        // written), in steps until the run ends: the deadline may be armed just after that.
        var running = Runner(TimeSpan.FromSeconds(1), time).GetAsync("hangs", "host", new Dictionary<string, string>(), [], CancellationToken.None);
        for (var poll = 0; poll < 1500 && !running.IsCompleted && !(File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n')); poll++)
        {
            await Task.WhenAny(running, Task.Delay(20));
        }

        for (var step = 0; step < 100 && !running.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(running, Task.Delay(50));
        }

        var run = await running;
        Assert.False(run.Ok);
        Assert.Contains("did not answer within 1 s and was killed", run.Error, StringComparison.Ordinal);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(child), "the helper's child survived");
    }

    [Fact]
    public async Task Get_NotOnPath_SaysWhereItLookedAndHowToInstall()
    {
        var runner = new CredentialHelperRunner(new HelperOptions { SearchPath = _helpers.Dir }, TimeProvider.System, NullLogger<CredentialHelperRunner>.Instance);

        var run = await runner.GetAsync("ecr-login", "host", new Dictionary<string, string>(), [], CancellationToken.None);

        Assert.False(run.Ok);
        Assert.Contains("docker-credential-ecr-login is not on the leader's PATH", run.Error, StringComparison.Ordinal);
        Assert.Contains("apt-get install amazon-ecr-credential-helper", run.Error, StringComparison.Ordinal);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            // A zombie (state Z) has exited; only its parent's bookkeeping remains.
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private CredentialHelperRunner Runner(TimeSpan? timeout = null, TimeProvider? time = null) =>
        new(new HelperOptions { SearchPath = _helpers.Dir + ":/usr/bin:/bin", Timeout = timeout ?? TimeSpan.FromSeconds(20) }, time ?? TimeProvider.System, NullLogger<CredentialHelperRunner>.Instance);
}
