namespace Cluster.Leader.AutoSync;

// What one check found. Digest is set exactly when Ok: the registry's digest, or for a Git ref
// the branch's full head commit SHA. RetryAfter is the registry's
// own Retry-After (429, 503); RateLimitRemaining is Docker Hub's RateLimit-Remaining when sent.
public sealed record CheckOutcome(bool Ok, string? Digest, string Error, TimeSpan? RetryAfter = null, int? RateLimitRemaining = null, TimeSpan? RateLimitWindow = null)
{
    public static CheckOutcome Found(string digest, int? remaining = null, TimeSpan? window = null) => new(true, digest, "", null, remaining, window);

    public static CheckOutcome Failed(string error, TimeSpan? retryAfter = null) => new(false, null, error, retryAfter);
}
