namespace Cluster.Leader.Credentials.Helpers;

// The outcome of one `docker-credential-X get`: the credential it printed, or why it failed
// (already redacted, safe to show and store). ToString never reveals the secret.
public sealed record HelperRun(string? Username, string? Secret, string? Error)
{
    public bool Ok => Error is null;

    public static HelperRun Failed(string error) => new(null, null, error);

    public override string ToString() => Ok ? $"HelperRun {{ Ok, Username = {Username} }}" : $"HelperRun {{ Failed: {Error} }}";
}
