using Cluster.NodeJoin.Housekeeping;

namespace Cluster.BuildServer.Jobs;

// Keeps build jobs and image pruning on the builder's engine apart: any number of jobs at once,
// or one prune alone. A fully cached rebuild resolves to an image the engine already holds (same
// id, and for the same commit the same tag), which a prune ordered meanwhile could count among an
// app's old images and remove between the build and the push; the push then finds no image. So a
// prune waits until no job runs (the leader's order is deferred, not dropped), and a job that
// arrives during a prune waits for it (a list and a few removals). Jobs do not wait for jobs,
// with one exception that keeps a busy builder from never pruning: once every job that ran when
// a prune began to wait has ended, jobs arriving after that wait for the prune too (so a prune
// waits at most for the jobs running when it came and those that started while they ran; a new
// job waits at most for the jobs already running and one prune).
// What a job made (Made: its image id and reference) is kept by the next prune: a deferred order
// was computed before the job ended and cannot name it, and a registry-less image lives only in
// this engine until its service runs it.
internal sealed class BuildActivity : IPruneGate
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _made = new(StringComparer.Ordinal);
    private int _jobs;
    private bool _pruning;

    // Prunes waiting to enter; while any does, _older counts the running jobs that started before
    // the first of them (epoch < _barrier). A job's lease carries the epoch it started in.
    private int _prunesWaiting;
    private int _older;
    private long _epoch;
    private long _barrier;

    // Completed and replaced on every exit, so a waiter looks again.
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Build jobs holding a lease now.
    public int RunningJobs
    {
        get
        {
            lock (_gate)
            {
                return _jobs;
            }
        }
    }

    // A job made these references (image id, tag or tag@digest); empty ones are ignored.
    public void Made(params string[] references)
    {
        lock (_gate)
        {
            _made.UnionWith(references.Where(r => !string.IsNullOrEmpty(r)));
        }
    }

    public IReadOnlyCollection<string> Recent()
    {
        lock (_gate)
        {
            return [.. _made];
        }
    }

    public void Pruned(IReadOnlyCollection<string> recent)
    {
        lock (_gate)
        {
            _made.ExceptWith(recent);
        }
    }

    int IPruneGate.Busy => RunningJobs;

    string IPruneGate.What => "build job(s)";

    // Completes once no prune runs; the job holds its lease (and keeps prunes off) until disposed.
    public Task<IDisposable> EnterJobAsync(CancellationToken cancellationToken) => EnterAsync(job: true, cancellationToken);

    // Completes once no job and no other prune runs; holds new jobs off until disposed.
    public Task<IDisposable> EnterPruneAsync(CancellationToken cancellationToken) => EnterAsync(job: false, cancellationToken);

    private async Task<IDisposable> EnterAsync(bool job, CancellationToken cancellationToken)
    {
        var waiting = false;
        try
        {
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    // Held back: by a prune under way, or by a waiting prune once the jobs it
                    // found running have all ended (else a stream of overlapping jobs would
                    // defer it for ever).
                    if (job && !_pruning && !(_prunesWaiting > 0 && _older == 0))
                    {
                        _jobs++;
                        return new Lease(this, job, _epoch);
                    }

                    if (!job && !_pruning && _jobs == 0)
                    {
                        _pruning = true;
                        StopWaiting(ref waiting);
                        return new Lease(this, job, _epoch);
                    }

                    if (!job && !waiting)
                    {
                        waiting = true;
                        if (_prunesWaiting++ == 0)
                        {
                            _barrier = ++_epoch;
                            _older = _jobs;
                        }
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // A prune that gave up (cancelled) no longer holds jobs back.
            if (waiting)
            {
                lock (_gate)
                {
                    StopWaiting(ref waiting);
                }

                Signal();
            }
        }
    }

    // Under _gate.
    private void StopWaiting(ref bool waiting)
    {
        if (waiting)
        {
            waiting = false;
            _prunesWaiting--;
        }
    }

    private void Exit(bool job, long epoch)
    {
        lock (_gate)
        {
            if (job)
            {
                _jobs--;
                if (_prunesWaiting > 0 && epoch < _barrier)
                {
                    _older--;
                }
            }
            else
            {
                _pruning = false;
            }
        }

        Signal();
    }

    // Wakes every waiter to look again.
    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private sealed class Lease(BuildActivity owner, bool job, long epoch) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Exit(job, epoch);
            }
        }
    }
}
