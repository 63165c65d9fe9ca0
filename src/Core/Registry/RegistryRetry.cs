using Polly;
using Polly.Retry;

namespace Cluster.Core.Registry;

// Retries a registry call while the registry rate-limits it (429 / TOOMANYREQUESTS), bounded
// twice: at most MaxAttempts tries, and never a wait that would end after the caller's deadline.
// The wait is the registry's Retry-After when it sent one (seconds or an HTTP date), else a
// backoff of 1 s, 2 s, 4 s. When the next wait would pass the deadline the last failure is
// returned at once, its message saying so and its RetryAfter still holding what the registry
// asked for. Every other outcome (success, any other failure) is returned as it is.
// Built on Polly's retry strategy (Polly.Core), with the TimeProvider passed in for its waits.
public static class RegistryRetry
{
    public const int MaxAttempts = 4;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    public static async Task<RegistryResult<T>> RunAsync<T>(Func<CancellationToken, Task<RegistryResult<T>>> attempt, DateTimeOffset deadline, TimeProvider time, CancellationToken cancellationToken, Action<RegistryCheck, TimeSpan>? onRetry = null)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(time);
        var tries = 0;
        TimeSpan? refusedWait = null;
        var pipeline = new ResiliencePipelineBuilder<RegistryResult<T>> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<RegistryResult<T>>
            {
                MaxRetryAttempts = MaxAttempts - 1,
                ShouldHandle = args =>
                {
                    if (args.Outcome.Result is not { Check.Failure: RegistryFailureKind.RateLimited } limited)
                    {
                        return ValueTask.FromResult(false);
                    }

                    var wait = Wait(limited.Check, args.AttemptNumber);
                    if (time.GetUtcNow() + wait > deadline)
                    {
                        refusedWait = wait;
                        return ValueTask.FromResult(false);
                    }

                    return ValueTask.FromResult(true);
                },
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Wait(args.Outcome.Result!.Check, args.AttemptNumber)),
                OnRetry = args =>
                {
                    onRetry?.Invoke(args.Outcome.Result!.Check, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        var result = await pipeline.ExecuteAsync(async ct =>
        {
            tries++;
            return await attempt(ct);
        }, cancellationToken);

        if (result.Check.Failure != RegistryFailureKind.RateLimited)
        {
            return result;
        }

        var why = refusedWait is { } w
            ? $"; waiting {RegistryText.Seconds(w)} more would pass the deadline ({RegistryText.Seconds(Max(deadline - time.GetUtcNow(), TimeSpan.Zero))} left), so it was not retried"
            : $"; still rate limited after {tries} tries";
        return result with { Check = result.Check with { Message = result.Check.Message + why } };
    }

    // attempt: 0 for the wait after the first try.
    private static TimeSpan Wait(RegistryCheck check, int attempt) =>
        check.RetryAfter ?? TimeSpan.FromTicks(FirstBackoff.Ticks << Math.Min(attempt, 10));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
