namespace Cluster.Core.Registry;

// The outcome of one conversation with a registry, in terms a user acts on. Ok is true exactly
// when Failure is null. Message always says what was checked and where (registry host, image or
// repository), and never holds a password, token or Authorization header: RegistryClient
// redacts every secret it was given or obtained before it returns a check.
// RetryAfter is set only for RateLimited, when the registry said how long to wait (Retry-After,
// in seconds or as an HTTP date). RateLimit is what the registry's RateLimit-* headers said, on
// success or failure, when it sent them (Docker Hub does).
public sealed record RegistryCheck(bool Ok, RegistryFailureKind? Failure, string Message, TimeSpan? RetryAfter = null)
{
    public RegistryRateLimit? RateLimit { get; init; }

    internal static RegistryCheck Success(string message) => new(true, null, message);

    internal static RegistryCheck Fail(RegistryFailureKind kind, string message, TimeSpan? retryAfter = null) =>
        new(false, kind, message, retryAfter);
}
