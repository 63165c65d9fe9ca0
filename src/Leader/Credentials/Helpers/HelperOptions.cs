namespace Cluster.Leader.Credentials.Helpers;

// How the leader runs credential helpers. Validated at start (Validate): a bad value stops the
// leader with a message instead of a helper that is never run or never killed.
public sealed record HelperOptions
{
    // A helper that has not answered by then is killed (with its children) and the run fails.
    // ECR's helper without network access waits on its own retries; this bounds it.
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    // The shortest --refresh-every accepted: below it a helper would run back to back.
    public static readonly TimeSpan MinimumRefreshEvery = TimeSpan.FromSeconds(2);

    // First retry after a failed run; doubles per failure up to RetryCap.
    public TimeSpan RetryFirst { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryCap { get; init; } = TimeSpan.FromMinutes(5);

    // Where helpers are looked up; null = the leader's own PATH (the documented behaviour).
    // Tests point it at a directory of test helpers without touching their process's PATH.
    public string? SearchPath { get; init; }

    public void Validate()
    {
        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"the credential helper timeout must be between 1 s and 10 min, not {Timeout.TotalSeconds} s");
        }

        if (RetryFirst <= TimeSpan.Zero || RetryCap < RetryFirst)
        {
            throw new ArgumentException("credential helper retry: the first delay must be positive and at most the cap");
        }
    }
}
