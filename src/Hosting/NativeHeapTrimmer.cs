using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Cluster.Hosting;

// Gives the native memory a daemon has freed back to the system (issue #14: the leader, every
// node's agent and the builder idle on small servers next to the user's apps; AddDaemonDefaults
// hosts it in all three). glibc's malloc returns only the top of its heap by
// itself; what start-up's JIT work, TLS handshakes and the like freed further down stays resident.
// malloc_trim(0) releases every free page of every arena: about 4 MB of the 7.8 MB malloc heap of
// a leader that has just started, 3-4 MB of its RSS with 10 agents (bench/Propagation). Once when
// the host has started, then every Period; a call costs well under a millisecond at that size.
// Linux with glibc only: elsewhere (or on musl, which has no malloc_trim) it does nothing.
public sealed partial class NativeHeapTrimmer(IHostApplicationLifetime lifetime, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            if (!Trim())
            {
                return;
            }

            using var timer = new PeriodicTimer(Period, time);
            while (await timer.WaitForNextTickAsync(stoppingToken) && Trim())
            {
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    // Runs malloc_trim(0) once. False when this C library has no malloc_trim (not glibc): then
    // there is nothing to do.
    public static bool Trim()
    {
        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    // int malloc_trim(size_t pad): 1 if memory was released, 0 if there was none to release.
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
