using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Cluster.Leader.Webhooks;

// The webhook listener: its own Kestrel server on --webhook-listen, plain HTTP/1.1, with one
// route, POST /hooks/{name}. It is a separate WebApplication, not an extra endpoint of the gRPC
// server, so no gRPC service, admin API, reflection or health check is reachable through it
// (a request for anything else is 404). Meant to sit behind the operator's TLS reverse proxy.
public sealed partial class WebhookListener(WebhookOptions options, WebhookReceiver receiver, ILogger<WebhookListener> log) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Listen is not { } endpoint)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.ContentRoot });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = WebhookReceiver.MaxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        });
        _app = builder.Build();
        _app.MapPost(WebhookService.PathPrefix + "{name}", (HttpContext context, string name) => receiver.ReceiveAsync(context, name));
        await _app.StartAsync(cancellationToken);
        Log.Listening(log, endpoint.ToString());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(960, LogLevel.Information, "webhook listener on http://{Endpoint}/hooks/NAME (plain HTTP: put a TLS reverse proxy in front)")]
        public static partial void Listening(ILogger logger, string endpoint);
    }
}
