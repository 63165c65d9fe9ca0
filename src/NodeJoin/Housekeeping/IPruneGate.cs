namespace Cluster.NodeJoin.Housekeeping;

// Work on a daemon that a prune of its engine's images must not overlap. EnterPruneAsync
// completes once none runs and holds new work off until the lease is disposed; Busy says how
// much runs now and What names it, for the "deferred" log line. Recent names images that work
// made since the last prune: the leader's keep list may predate them (an order that waited for
// the work was computed before it ended), so the prune keeps them too; Pruned(recent) says that
// prune is done, and from then on the leader's newer orders name what is used.
internal interface IPruneGate
{
    // A gate that never holds a prune back.
    static IPruneGate Open { get; } = new OpenGate();

    int Busy { get; }

    string What { get; }

    Task<IDisposable> EnterPruneAsync(CancellationToken cancellationToken);

    IReadOnlyCollection<string> Recent();

    void Pruned(IReadOnlyCollection<string> recent);

    private sealed class OpenGate : IPruneGate, IDisposable
    {
        public int Busy => 0;

        public string What => "";

        public Task<IDisposable> EnterPruneAsync(CancellationToken cancellationToken) => Task.FromResult<IDisposable>(this);

        public IReadOnlyCollection<string> Recent() => [];

        public void Pruned(IReadOnlyCollection<string> recent)
        {
            // nothing recorded
        }

        public void Dispose()
        {
            // nothing held
        }
    }
}
