namespace Cluster.Leader.Webhooks;

// A webhook as shown to admins: never its secret.
public sealed record WebhookView(string Name, string Kind, string Url, DateTime CreatedAt, DateTime? LastDeliveryAt, bool LastDeliveryAccepted, string LastDeliveryReason);
