namespace Cluster.Leader.Credentials.Helpers;

// Runs each helper credential's helper when it is due (HelperCredentials keeps the schedule in
// the database, so a restarted leader refreshes what fell due while it was down at once).
// One iteration = the due refreshes, in parallel (a hanging helper delays no other credential),
// then a sleep until the next one is due or the schedule changes. Errors are logged and the loop
// goes on; it stops only with the leader. Time comes from TimeProvider, so tests drive it.
public sealed partial class HelperRefresher(HelperCredentials helpers, HelperOptions options, TimeProvider time, ILogger<HelperRefresher> log) : BackgroundService
{
    // Re-read the schedule at least this often, whatever it says.
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _wake = new(0, 1);

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        helpers.ScheduleChanged += Wake;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var now = time.GetUtcNow().UtcDateTime;
                    var due = helpers.Schedule().Where(s => s.NextRefreshAt <= now).ToList();
                    await Task.WhenAll(due.Select(s => RefreshOneAsync(s.Id, s.Name, stoppingToken)));
                    await SleepAsync(NextSleep(), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.IterationFailed(log, e.Message);
                    await SleepAsync(options.RetryFirst, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            helpers.ScheduleChanged -= Wake;
        }
    }

    private async Task RefreshOneAsync(string id, string name, CancellationToken stoppingToken)
    {
        try
        {
            await helpers.RefreshAsync(id, "refresher", stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // HelperCredentials records helper failures itself; this is anything else (database,
            // sealing). The credential is retried at its stored time.
            Log.RefreshCrashed(log, name, e.Message);
        }
    }

    private TimeSpan NextSleep()
    {
        var schedule = helpers.Schedule();
        if (schedule.Count == 0)
        {
            return MaxSleep;
        }

        var wait = schedule.Min(s => s.NextRefreshAt) - time.GetUtcNow().UtcDateTime;
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < MaxSleep ? wait : MaxSleep;
    }

    private async Task SleepAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sleep = Task.Delay(delay, time, either.Token);
        var wake = _wake.WaitAsync(either.Token);
        await Task.WhenAny(sleep, wake);
        await either.CancelAsync();
        try
        {
            await Task.WhenAll(sleep, wake);
        }
        catch (OperationCanceledException)
        {
            // The other one was cancelled: the expected way out.
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake-up is already pending; one is enough.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2710, LogLevel.Error, "credential helper refresher: {Error}; retrying")]
        public static partial void IterationFailed(ILogger logger, string error);

        [LoggerMessage(2711, LogLevel.Error, "registry {Name}: refresh could not be recorded: {Error}; retried at its next time")]
        public static partial void RefreshCrashed(ILogger logger, string name, string error);
    }
}
