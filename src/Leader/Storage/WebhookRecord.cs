namespace Cluster.Leader.Storage;

// A webhook source. SealedSecret is SecretBox ciphertext bound to Id; the plaintext secret is
// shown once at creation and never stored or logged.
public sealed class WebhookRecord
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    // "registry", "dockerhub", "github" or "gitlab".
    public string Kind { get; set; } = "";

    public string SealedSecret { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime? LastDeliveryAt { get; set; }

    public bool LastDeliveryAccepted { get; set; }

    // Why the last delivery was refused, or what it made the leader check.
    public string LastDeliveryReason { get; set; } = "";
}
