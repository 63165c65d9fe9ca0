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
}
