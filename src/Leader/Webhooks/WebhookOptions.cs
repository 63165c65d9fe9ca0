using System.Net;

namespace Cluster.Leader.Webhooks;

// The webhook listener, from the leader's flags (--webhook-listen, --advertise, --data-dir). Its
// own type so Webhooks does not depend on the composition root's LeaderOptions (Hosting depends
// on Webhooks).
public sealed record WebhookOptions
{
    // Plain-HTTP listener for webhook deliveries (null: none). Never carries gRPC.
    public IPEndPoint? Listen { get; init; }

    // The name shown in a webhook's URL when Listen is a wildcard address (null: no URL shown).
    public string? Advertise { get; init; }

    // The listener's content root (the leader's data dir; nothing is served from it).
    public required string ContentRoot { get; init; }
}
