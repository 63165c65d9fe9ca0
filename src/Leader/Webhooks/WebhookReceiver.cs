using Cluster.Leader.AutoSync;

namespace Cluster.Leader.Webhooks;

// Handles POST /hooks/NAME on the webhook listener. Order: size bound, known name, secret
// (per kind, constant-time), then hints; a refused delivery is answered 401/404/413 and logged
// with its webhook name, reason, peer and size, never its payload or headers. An accepted one
// only asks AutoSyncService for a check (202); nothing in it is deployed.
public sealed partial class WebhookReceiver(WebhookService webhooks, AutoSyncService sync, ILogger<WebhookReceiver> log)
{
    // Registry envelopes and GitHub pushes are far smaller; a bigger body is refused unread.
    public const int MaxBodyBytes = 1024 * 1024;

    public async Task<IResult> ReceiveAsync(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        var peer = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            Log.Refused(log, name, "body larger than 1 MiB", peer, context.Request.ContentLength ?? -1);
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var body = await ReadBoundedAsync(context.Request.Body, context.RequestAborted);
        if (body is null)
        {
            Log.Refused(log, name, "body larger than 1 MiB", peer, -1);
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var credentials = webhooks.Credentials(name);
        if (credentials is not { } hook)
        {
            Log.Refused(log, name, "no such webhook", peer, body.Length);
            return Results.NotFound();
        }

        string? Header(string h) => context.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null;
        string? Query(string q) => context.Request.Query.TryGetValue(q, out var v) ? v.ToString() : null;
        if (WebhookVerifier.Refusal(hook.Kind, hook.Secret, Header, Query, body) is { } refusal)
        {
            webhooks.RecordDelivery(name, accepted: false, refusal);
            Log.Refused(log, name, refusal, peer, body.Length);
            return Results.Unauthorized();
        }

        var hints = WebhookPayloads.Hints(hook.Kind, Header, body);
        string reason;
        if (hints is null)
        {
            reason = "genuine, but not a push of an image: nothing to check";
        }
        else
        {
            var checks = sync.Trigger(hints.Select(h => (h.Repository, h.Tag)).ToList(), "webhook:" + name);
            reason = checks == 0
                ? $"genuine, but no Auto-Sync app watches {Describe(hints)}"
                : $"checking {checks} watched image{(checks == 1 ? "" : "s")} for {Describe(hints)}";
        }

        webhooks.RecordDelivery(name, accepted: true, reason);
        Log.Accepted(log, name, reason, peer);
        return Results.Accepted();
    }

    private static string Describe(IReadOnlyList<WebhookHint> hints) =>
        hints.Count == 0 ? "any image" : string.Join(", ", hints.Take(5).Select(h => h.Tag is null ? h.Repository : $"{h.Repository}:{h.Tag}"));

    private static async Task<byte[]?> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(950, LogLevel.Warning, "webhook {Name}: delivery refused: {Reason} (from {Peer}, {Bytes} bytes; payload not logged)")]
        public static partial void Refused(ILogger logger, string name, string reason, string peer, long bytes);

        [LoggerMessage(951, LogLevel.Information, "webhook {Name}: delivery accepted: {Reason} (from {Peer})")]
        public static partial void Accepted(ILogger logger, string name, string reason, string peer);
    }
}
