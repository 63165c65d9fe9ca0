using Cluster.Testing;
namespace Cluster.Lab.Tests.Fixture;

// The one door to the lab for every test. Started once per test run: test.sh brings the lab up
// before the suite and down after it; when a test run starts without it (an IDE, a single
// `dotnet test`), the fixture brings it up itself and takes it down again at the end.
public sealed class LabFixture : IAsyncLifetime
{
    private bool _startedHere;

    public LabEnvironment Env { get; private set; } = null!;

    // The token server of the lab's token registry (LAB_TOKEN_REGISTRY), listening on
    // LAB_TOKEN_REALM for as long as the fixture lives. Tests add their own users to it.
    public TokenServer Tokens { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var status = await Lab("status", TimeSpan.FromMinutes(1));
        if (status.ExitCode != 0 || !File.Exists(LabEnvironment.EnvFile))
        {
            var up = await Lab("up", TimeSpan.FromMinutes(6));
            if (up.ExitCode != 0)
            {
                throw new InvalidOperationException($"the test lab did not come up (tests/lab/lab.sh up exited {up.ExitCode}):\n{up.Output}");
            }

            _startedHere = true;
        }

        Env = LabEnvironment.Load();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Tokens = await TokenServer.StartAsync(Env, cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (Tokens is not null)
        {
            await Tokens.DisposeAsync();
        }

        if (_startedHere)
        {
            await Lab("down", TimeSpan.FromMinutes(3));
        }
    }

    private static Task<ProcessResult> Lab(string command, TimeSpan timeout) =>
        ProcessRunner.RunAsync("bash", [RepoPaths.LabScript, command], timeout);
}
