using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Webhooks;

// Webhook sources: created with a random 256-bit secret, stored sealed with SecretBox (bound to
// the record id), shown once; audited; each keeps its last delivery so `webhook list` can say
// when it was used and why a delivery was refused.
public sealed partial class WebhookService(LeaderDatabase db, SecretBox secrets, WebhookOptions options, TimeProvider time)
{
    public const string PathPrefix = "/hooks/";

    public (WebhookView Webhook, string Secret) Add(string name, string kind, string actor)
    {
        if (!NamePattern().IsMatch(name ?? ""))
        {
            throw new OperationException(OperationError.InvalidArgument, $"webhook name '{name}' is not valid: use 1 to 63 lowercase letters, digits or '-', starting with a letter or digit (it is part of the URL)");
        }

        if (!WebhookKinds.All.Contains(kind, StringComparer.Ordinal))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--kind '{kind}' is not one of {string.Join(", ", WebhookKinds.All)}");
        }

        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var id = Guid.NewGuid().ToString("N");
        var record = new WebhookRecord
        {
            Id = id,
            Name = name!,
            Kind = kind,
            SealedSecret = secrets.Seal(secret, id),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Write(d =>
        {
            if (d.Webhooks.FindOne(w => w.Name == record.Name) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"webhook '{record.Name}' already exists; remove it first to get a new secret");
            }

            d.Webhooks.Insert(record);
            d.Audit.Insert(new AuditRecord { At = record.CreatedAt, Actor = actor, Action = "webhook.add", Target = record.Name, Details = $"kind={kind}" });
            return true;
        });
        return (View(record), secret);
    }

    public IReadOnlyList<WebhookView> List() =>
        db.Read(d => d.Webhooks.FindAll().OrderBy(w => w.Name, StringComparer.Ordinal).Select(View).ToList());

    public void Remove(string name, string actor) =>
        db.Write(d =>
        {
            var record = d.Webhooks.FindOne(w => w.Name == name) ?? throw new OperationException(OperationError.NotFound, $"no webhook named '{name}'; `clusterctl webhook list` shows them");
            d.Webhooks.Delete(record.Id);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "webhook.remove", Target = name });
            return true;
        });

    // The kind and secret of a webhook, for verifying a delivery; null for an unknown name. Only
    // the exact name matches (the database compares strings ignoring case): "/hooks/HUB" is not
    // webhook "hub", so the names a delivery can reach, and the keys refusals are coalesced
    // under, are the webhooks' own.
    internal (string Kind, string Secret)? Credentials(string name)
    {
        var record = Find(name);
        return record is null ? null : (record.Kind, secrets.Open(record.SealedSecret, record.Id));
    }

    private WebhookRecord? Find(string name)
    {
        if (!NamePattern().IsMatch(name ?? ""))
        {
            return null;
        }

        var record = db.Read(d => d.Webhooks.FindOne(w => w.Name == name));
        return record is not null && string.Equals(record.Name, name, StringComparison.Ordinal) ? record : null;
    }

    // The webhook's last delivery. `at`: when it came, for one recorded later (a coalesced
    // refusal), which never hides a delivery recorded after it; null: now.
    internal void RecordDelivery(string name, bool accepted, string reason, DateTimeOffset? at) =>
        db.Write(d =>
        {
            var when = (at ?? time.GetUtcNow()).UtcDateTime;
            if (d.Webhooks.FindOne(w => w.Name == name) is { } record && string.Equals(record.Name, name, StringComparison.Ordinal) && !(record.LastDeliveryAt?.ToUniversalTime() > when))
            {
                record.LastDeliveryAt = when;
                record.LastDeliveryAccepted = accepted;
                record.LastDeliveryReason = reason;
                d.Webhooks.Update(record);
            }

            return true;
        });

    // http://HOST:PORT/hooks/NAME on the webhook listener, where the leader knows HOST: the
    // listen address, or for a wildcard listen address the --advertise name. Null without a
    // listener, or for a wildcard without --advertise (this machine's name would be a guess).
    private string? ListenerUrlOf(string name)
    {
        if (options.Listen is not { } listen)
        {
            return null;
        }

        var wildcard = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any);
        var host = !wildcard ? listen.Address.ToString() : options.Advertise is { Length: > 0 } advertised ? advertised : null;
        if (host is null)
        {
            return null;
        }

        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return $"http://{host}:{listen.Port}{PathPrefix}{name}";
    }

    private WebhookView View(WebhookRecord r) => new(r.Name, r.Kind, PathPrefix + r.Name, ListenerUrlOf(r.Name), r.CreatedAt, r.LastDeliveryAt, r.LastDeliveryAccepted, r.LastDeliveryReason);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex NamePattern();
}
