using Cluster.Leader.Storage;

namespace Cluster.Leader.Credentials.Helpers;

// What `registry show` tells about a helper credential. Never the helper's environment, only
// whether it has one.
public sealed record HelperState(
    string Helper,
    bool HasEnvironment,
    int RefreshEverySeconds,
    DateTime? ExpiresAt,
    DateTime? NextRefreshAt,
    DateTime? LastRefreshAt,
    string? LastRefreshError)
{
    public static HelperState? Of(CredentialRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Helper is null
            ? null
            : new(record.Helper, record.SealedHelperEnv is not null, record.RefreshEverySeconds, Utc(record.ExpiresAt), Utc(record.NextRefreshAt), Utc(record.LastRefreshAt), record.LastRefreshError);
    }

    private static DateTime? Utc(DateTime? value) => value is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : null;
}
