namespace Cluster.Leader.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookService>();
        services.AddSingleton<RefusalCoalescer>();
        services.AddSingleton<WebhookReceiver>();
        services.AddHostedService<WebhookListener>();
        return services;
    }
}
