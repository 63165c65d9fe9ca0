namespace Cluster.Leader.Webhooks;

// A webhook as shown to admins: never its secret. Url is the path on the webhook listener
// ("/hooks/NAME", INTERFACE.md); ListenerUrl that path on the listener's own address, when known.
public sealed record WebhookView(string Name, string Kind, string Url, string? ListenerUrl, DateTime CreatedAt, DateTime? LastDeliveryAt, bool LastDeliveryAccepted, string LastDeliveryReason);
