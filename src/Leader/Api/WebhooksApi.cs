using Cluster.Leader.Webhooks;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Webhooks over WebhookService (admin token required, like every admin API).
public sealed class WebhooksApi(WebhookService webhooks) : Protos.Admin.V1.Webhooks.WebhooksBase
{
    public override Task<AddWebhookResponse> AddWebhook(AddWebhookRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (view, secret) = webhooks.Add(request.Name, request.Kind, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new AddWebhookResponse { Webhook = ToProto(view), Secret = secret });
    }

    public override Task<ListWebhooksResponse> ListWebhooks(ListWebhooksRequest request, ServerCallContext context)
    {
        var response = new ListWebhooksResponse();
        response.Webhooks.AddRange(webhooks.List().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<RemoveWebhookResponse> RemoveWebhook(RemoveWebhookRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        webhooks.Remove(request.Name, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new RemoveWebhookResponse());
    }

    private static Webhook ToProto(WebhookView v)
    {
        var w = new Webhook
        {
            Name = v.Name,
            Kind = v.Kind,
            Url = v.Url,
            ListenerUrl = v.ListenerUrl ?? "",
            CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(v.CreatedAt, DateTimeKind.Utc)),
        };
        if (v.LastDeliveryAt is { } at)
        {
            w.LastDelivery = new WebhookDelivery
            {
                At = Timestamp.FromDateTime(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
                Accepted = v.LastDeliveryAccepted,
                Reason = v.LastDeliveryReason,
            };
        }

        return w;
    }
}
