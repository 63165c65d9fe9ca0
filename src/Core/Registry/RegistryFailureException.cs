namespace Cluster.Core.Registry;

// Carries a classified failure from deep inside RegistryClient to its public methods, which turn
// it into a RegistryCheck. Never escapes the client. Its message is already user-facing and,
// like every message the client builds, holds no secret (the client redacts again anyway).
internal sealed class RegistryFailureException : Exception
{
    public RegistryFailureException(RegistryFailureKind kind, string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        RetryAfter = retryAfter;
    }

    public RegistryFailureKind Kind { get; }

    public TimeSpan? RetryAfter { get; }

    public RegistryRateLimit? RateLimit { get; init; }

    public RegistryCheck ToCheck() => RegistryCheck.Fail(Kind, Message, RetryAfter) with { RateLimit = RateLimit };
}
