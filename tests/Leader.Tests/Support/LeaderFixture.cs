namespace Cluster.Leader.Tests.Support;

// One in-process leader shared by the tests of a class (IClassFixture<LeaderFixture>), for classes
// whose tests only read the leader or are refused by it, so no test sees another's doing.
// xunit builds the class anew for every test, so a leader started in IAsyncLifetime is composed
// once per test (~0.2 s of CPU and a Kestrel start each); a class whose tests change what they
// then check keeps its own leader per test.
public class LeaderFixture : IAsyncLifetime
{
    private readonly string[] _args;

    public LeaderFixture()
        : this([])
    {
    }

    // A fixture for leaders started with these cluster-leader flags derives from this one.
    protected LeaderFixture(params string[] args) => _args = args;

    public InProcessLeader Leader { get; private set; } = null!;

    public async Task InitializeAsync() => Leader = await InProcessLeader.StartAsync(_args);

    public async Task DisposeAsync() => await Leader.DisposeAsync();
}
