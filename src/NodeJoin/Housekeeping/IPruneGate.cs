namespace Cluster.NodeJoin.Housekeeping;

// Work on a daemon that a prune of its engine's images must not overlap. EnterPruneAsync
// completes once none runs and holds new work off until the lease is disposed; Busy says how
// much runs now and What names it, for the "deferred" log line.
internal interface IPruneGate
{
    // A gate that never holds a prune back.
    static IPruneGate Open { get; } = new OpenGate();

    int Busy { get; }

    string What { get; }

    Task<IDisposable> EnterPruneAsync(CancellationToken cancellationToken);

    private sealed class OpenGate : IPruneGate, IDisposable
    {
        public int Busy => 0;

        public string What => "";

        public Task<IDisposable> EnterPruneAsync(CancellationToken cancellationToken) => Task.FromResult<IDisposable>(this);

        public void Dispose()
        {
            // nothing held
        }
    }
}
