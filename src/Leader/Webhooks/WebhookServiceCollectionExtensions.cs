namespace Cluster.Leader.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, WebhookOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<WebhookService>();
        services.AddSingleton<RefusalCoalescer>();
        services.AddSingleton<WebhookReceiver>();
        services.AddHostedService<WebhookListener>();
        return services;
    }
}
