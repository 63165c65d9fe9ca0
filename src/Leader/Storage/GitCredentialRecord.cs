namespace Cluster.Leader.Storage;

// A Git credential as stored. SealedToken is SecretBox ciphertext bound to Id; the plaintext
// never reaches the database.
public sealed class GitCredentialRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    // Git URLs starting with this use the credential (longest prefix wins).
    public string UrlPrefix { get; set; } = "";

    public string Username { get; set; } = "";

    public string SealedToken { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}
