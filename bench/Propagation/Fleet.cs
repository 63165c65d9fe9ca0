using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Bench.Propagation;

// N simulated agents connected to one server, each over its own connection.
internal sealed class Fleet : IAsyncDisposable
{
    private readonly List<SimulatedAgent> _agents;

    private Fleet(List<SimulatedAgent> agents, AckTracker tracker)
    {
        _agents = agents;
        Tracker = tracker;
    }

    public AckTracker Tracker { get; }

    public IReadOnlyList<SimulatedAgent> Agents => _agents;

    // Opens every session and waits until each agent has acked the FULL set at `initialRevision`.
    public static async Task<(Fleet Fleet, double Seconds)> ConnectAsync(
        IReadOnlyList<AgentIdentity> identities, string address, string caFingerprint, X509Certificate2? knownCa, ulong initialRevision, BenchOptions options, CancellationToken cancellationToken)
    {
        var tracker = new AckTracker();
        var round = tracker.Begin(initialRevision, identities.Count);
        var agents = identities.Select(i => new SimulatedAgent(i, tracker)).ToList();
        var fleet = new Fleet(agents, tracker);
        var start = Stopwatch.GetTimestamp();
        try
        {
            await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency, CancellationToken = cancellationToken },
                async (agent, ct) => await agent.StartAsync(address, caFingerprint, knownCa, ct));
            await fleet.WaitAsync(round, TimeSpan.FromSeconds(Math.Max(60, identities.Count / 10.0)), cancellationToken);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }

        return (fleet, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    public async Task WaitAsync(AckTracker.Round round, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await round.Done.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            var failures = _agents.Where(a => a.Failure is not null).Select(a => $"agent {a.Index}: {a.Failure}").Take(5).ToList();
            throw new TimeoutException($"{round.Missing} of {_agents.Count} agents did not ack revision {round.Revision} within {timeout.TotalSeconds:0} s" +
                (failures.Count > 0 ? "; " + string.Join("; ", failures) : ""));
        }
    }

    public void AckIncrements(bool ack) => _agents.ForEach(a => a.AckIncrements = ack);

    public int Resyncs => _agents.Sum(a => a.Resyncs);

    public int Fulls => _agents.Sum(a => a.Fulls);

    public int Failed => _agents.Count(a => a.Failure is not null);

    public async ValueTask DisposeAsync()
    {
        await Parallel.ForEachAsync(_agents, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (agent, _) => await agent.DisposeAsync());
    }
}
