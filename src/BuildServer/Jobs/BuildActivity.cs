using Cluster.NodeJoin.Housekeeping;

namespace Cluster.BuildServer.Jobs;

// Keeps build jobs and image pruning on the builder's engine apart: any number of jobs at once,
// or one prune alone. A fully cached rebuild resolves to an image the engine already holds (same
// id, and for the same commit the same tag), which a prune ordered meanwhile could count among an
// app's old images and remove between the build and the push; the push then finds no image. So a
// prune waits until no job runs (the leader's order is deferred, not dropped), and a job that
// arrives during a prune waits for it (a list and a few removals). Jobs never wait for jobs.
// What a job made (Made: its image id and reference) is kept by the next prune: a deferred order
// was computed before the job ended and cannot name it, and a registry-less image lives only in
// this engine until its service runs it.
internal sealed class BuildActivity : IPruneGate
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _made = new(StringComparer.Ordinal);
    private int _jobs;
    private bool _pruning;

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
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (job && !_pruning)
                {
                    _jobs++;
                    return new Lease(this, job);
                }

                if (!job && !_pruning && _jobs == 0)
                {
                    _pruning = true;
                    return new Lease(this, job);
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Exit(bool job)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (job)
            {
                _jobs--;
            }
            else
            {
                _pruning = false;
            }

            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private sealed class Lease(BuildActivity owner, bool job) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Exit(job);
            }
        }
    }
}
