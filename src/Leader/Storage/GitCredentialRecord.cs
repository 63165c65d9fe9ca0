namespace Cluster.Leader.Storage;

// A Git credential as stored. SealedToken is SecretBox ciphertext bound to Id of the secret: the
// HTTPS token (Kind "https", also records from before SSH existed with Kind "") or the SSH
// private key (Kind "ssh"); the plaintext never reaches the database. KnownHosts and the key's
// fingerprint are public.
public sealed class GitCredentialRecord
{
    public const string Https = "https";

    public const string Ssh = "ssh";

    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    // Git URLs under this use the credential (longest prefix wins; see Core.Git.GitRemote).
    public string UrlPrefix { get; set; } = "";

    // HTTPS: the basic-auth user. SSH: the login user when the prefix names none ("" = the URL's).
    public string Username { get; set; } = "";

    public string SealedToken { get; set; } = "";

    // What SealedToken is bound to, as CredentialRecord.SecretBinding: the id (first line), the
    // URL prefix, the kind and the username; a token or key moved to another prefix or kind does
    // not open.
    public string SecretBinding() => $"{Id}\nurl={UrlPrefix}\nkind={Kind}\nusername={Username}";

    public string Kind { get; set; } = "";

    // SSH: the pinned host keys, known_hosts lines naming exactly the prefix's host.
    public string KnownHosts { get; set; } = "";

    // SSH: "known-hosts" (the operator's file) or "ssh-keyscan" (read by the leader).
    public string HostKeysSource { get; set; } = "";

    // SSH: the private key's public half, for `git list` ("SHA256:...", "ssh-ed25519").
    public string KeyFingerprint { get; set; } = "";

    public string KeyType { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}
