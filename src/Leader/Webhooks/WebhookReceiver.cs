using Cluster.Leader.AutoSync;

namespace Cluster.Leader.Webhooks;

// Handles POST /hooks/NAME on the webhook listener. Order: size bound, known name, secret
// (per kind, constant-time), then hints; a refused delivery is answered 401/404/413 at once and
// logged with its webhook name, reason, peer and size, never its payload or headers. Refusals
// are coalesced (RefusalCoalescer): per webhook, at most one delivery record and one log line a
// second, counting the rest, so forged deliveries to a known name cannot make the leader write
// its database once each; refusals of unknown names and oversized bodies write nothing and are
// logged the same way, under one shared key. An accepted delivery is recorded and logged each
// time and only asks AutoSyncService for a check (202); nothing in it is deployed.
public sealed partial class WebhookReceiver(WebhookService webhooks, AutoSyncService sync, RefusalCoalescer refusals, ILogger<WebhookReceiver> log)
{
    // The coalescing key of refusals that name no webhook (or were refused before its name was
    // looked up): a caller can invent names without end, so they share one key.
    private const string NoWebhook = "";

    // Registry envelopes and GitHub pushes are far smaller; a bigger body is refused unread.
    public const int MaxBodyBytes = 1024 * 1024;

    public async Task<IResult> ReceiveAsync(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        var peer = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            refusals.Refuse(NoWebhook, "body larger than 1 MiB", peer, context.Request.ContentLength ?? -1, r => LogOnly(name, r));
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var body = await ReadBoundedAsync(context.Request.Body, context.RequestAborted);
        if (body is null)
        {
            refusals.Refuse(NoWebhook, "body larger than 1 MiB", peer, -1, r => LogOnly(name, r));
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        (string Kind, string Secret)? credentials;
        try
        {
            credentials = webhooks.Credentials(name);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Its sealed secret does not open (SecretCheck named it at start): no delivery can be
            // verified, so each is refused like a bad secret (coalesced, recorded, no stack trace),
            // and 503 tells a genuine sender the fault is here.
            refusals.Refuse(name, $"the webhook's secret does not open on this leader: `clusterctl webhook remove {name}`, then add it again (it gets a new secret)", peer, body.Length, r =>
            {
                webhooks.RecordDelivery(name, accepted: false, r.Deferred ? $"{r.Reason} ({Coalesced(r)})" : r.Reason, r.At);
                LogOnly(name, r);
            });
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        if (credentials is not { } hook)
        {
            refusals.Refuse(NoWebhook, "no such webhook", peer, body.Length, r => LogOnly(name, r));
            return Results.NotFound();
        }

        string? Header(string h) => context.Request.Headers.TryGetValue(h, out var v) ? v.ToString() : null;
        string? Query(string q) => context.Request.Query.TryGetValue(q, out var v) ? v.ToString() : null;
        if (WebhookVerifier.Refusal(hook.Kind, hook.Secret, Header, Query, body) is { } refusal)
        {
            refusals.Refuse(name, refusal, peer, body.Length, r =>
            {
                webhooks.RecordDelivery(name, accepted: false, r.Deferred ? $"{r.Reason} ({Coalesced(r)})" : r.Reason, r.At);
                LogOnly(name, r);
            });
            return Results.Unauthorized();
        }

        var hints = WebhookPayloads.Hints(hook.Kind, Header, body);
        string reason;
        if (hints is null)
        {
            reason = "genuine, but not a push of an image or a branch: nothing to check";
        }
        else
        {
            // A Git push checks the watched branches of that repository only; image hints the
            // image refs they name; a delivery that names nothing checks every watched ref.
            var images = hints.Where(h => !h.Git).Select(h => (h.Repository, h.Tag)).ToList();
            var pushes = hints.Where(h => h.Git).Select(h => (h.Repository, h.Tag)).ToList();
            var checks = (images.Count > 0 || pushes.Count == 0 ? sync.Trigger(images, "webhook:" + name) : 0) +
                (pushes.Count > 0 ? sync.TriggerGit(pushes, "webhook:" + name) : 0);
            var what = pushes.Count > 0 && images.Count == 0 ? "branch" : "ref";
            reason = checks == 0
                ? $"genuine, but no Auto-Sync app watches {Describe(hints)}"
                : $"checking {checks} watched {what}{(checks == 1 ? "" : "s")} for {Describe(hints)}";
        }

        webhooks.RecordDelivery(name, accepted: true, reason, null);
        Log.Accepted(log, name, reason, peer);
        return Results.Accepted();
    }

    private static string Coalesced(RefusalCoalescer.Refusal r) =>
        $"refused deliveries: {r.Count} within {RefusalCoalescer.Window.TotalSeconds:0.#} s, recorded as one; this was the last";

    private void LogOnly(string name, RefusalCoalescer.Refusal r)
    {
        if (!r.Deferred)
        {
            Log.Refused(log, name, r.Reason, r.Peer, r.Bytes);
        }
        else
        {
            Log.RefusedMany(log, name, r.Count, RefusalCoalescer.Window.TotalSeconds, r.Reason, r.Peer);
        }
    }

    private static string Describe(IReadOnlyList<WebhookHint> hints) =>
        hints.Count == 0 ? "any image" : string.Join(", ", hints.Where(h => !h.Git).Take(5).Select(h => h.Tag is null ? h.Repository : $"{h.Repository}:{h.Tag}")
            .Concat(hints.Where(h => h.Git).Take(1).Select(h => $"a push to {h.Repository} branch {h.Tag}")));

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

        [LoggerMessage(952, LogLevel.Warning, "webhook {Name}: {Count} more deliveries refused within {Seconds} s, logged as one; the last: {Reason} (from {Peer}; payloads not logged)")]
        public static partial void RefusedMany(ILogger logger, string name, int count, double seconds, string reason, string peer);
    }
}
