namespace Cluster.Core.Registry;

// A value read from a registry, or why it could not be read. Value is non-null exactly when
// Check.Ok is true.
public sealed record RegistryResult<T>(T? Value, RegistryCheck Check)
{
    internal static RegistryResult<T> Success(T value, string message) => new(value, RegistryCheck.Success(message));

    internal static RegistryResult<T> Fail(RegistryCheck check) => new(default, check);
}
