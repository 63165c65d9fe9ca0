namespace Cluster.Leader.Storage;

// A registry credential as stored. SealedSecret is SecretBox ciphertext bound to Id; the
// plaintext never reaches the database.
public sealed class CredentialRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string Provider { get; set; } = "";

    // Normalized host[:port][/path-prefix]: the keyring key.
    public string Url { get; set; } = "";

    public string Username { get; set; } = "";

    public string SealedSecret { get; set; } = "";

    public bool Insecure { get; set; }

    // Used only to push (by build servers); never sent to node agents.
    public bool PushOnly { get; set; }

    // Cluster-wide revision of this credential's last change.
    public long Revision { get; set; }

    public DateTime? VerifiedAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    // Kind "helper" (issue #12): the secret above is the newest token printed by
    // docker-credential-<Helper>; null for a static credential. Everything below is null/0 then.
    public string? Helper { get; set; }

    // SecretBox ciphertext of the helper's environment (KEY=VALUE lines), bound to
    // HelperEnvBinding(Id), not to Id, so it can never be opened as, or swapped with, the secret.
    public string? SealedHelperEnv { get; set; }

    public static string HelperEnvBinding(string id) => id + "/helper-env";

    // What SealedSecret is bound to (AES-GCM associated data, issue #9.6): the record id, the
    // registry URL and the username. A secret moved to another record, or a record whose URL or
    // username was changed behind the leader's back (in the database file), no longer opens,
    // so the password is never sent to a registry it was not given for. The id is the first line
    // (secrets sealed before the binding, format v1, were bound to the id alone).
    public static string Binding(string id, string url, string username) => $"{id}\nurl={url}\nusername={username}";

    public string SecretBinding() => Binding(Id, Url, Username);

    // --refresh-every in seconds; 0 = at half the token's life.
    public int RefreshEverySeconds { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public DateTime? NextRefreshAt { get; set; }

    public DateTime? LastRefreshAt { get; set; }

    // The last failed helper run, redacted; null once a run succeeds.
    public string? LastRefreshError { get; set; }

    // Failed runs in a row, for the retry backoff.
    public int RefreshFailures { get; set; }
}
