namespace Cluster.Core.Git;

// The public half of an SSH key: its type ("ssh-ed25519"), base64 blob and SHA256 fingerprint
// ("SHA256:..." exactly as ssh-keygen -l prints it). Public: safe to show and store.
public sealed record SshPublicKey(string Type, string Blob, string Fingerprint)
{
    // One authorized_keys / IdentityFile line: "type blob".
    public string Line => $"{Type} {Blob}";
}
