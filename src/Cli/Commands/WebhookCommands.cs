using System.CommandLine;
using System.Globalization;
using Cluster.Cli.Connection;
using Cluster.Cli.Output;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// `clusterctl webhook add|list|remove`: instant Auto-Sync triggers. The secret is printed once,
// by `add`, and never again (it is stored sealed on the leader).
internal static class WebhookCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var webhook = new Command("webhook", "Webhooks that make Auto-Sync check at once (registry notifications, Docker Hub, GitHub, GitLab)");
        webhook.Subcommands.Add(Add(stdout, stderr));
        webhook.Subcommands.Add(List(stdout, stderr));
        webhook.Subcommands.Add(Remove(stdout, stderr));
        return webhook;
    }

    private static Command Add(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME") { Description = "Webhook name (part of its URL)" };
        var kind = new Option<string>("--kind") { Description = "registry (distribution notifications), dockerhub, github or gitlab", Required = true };
        kind.AcceptOnlyFromAmong("registry", "dockerhub", "github", "gitlab");
        var output = GlobalOptions.Output();
        var command = new Command("add", "Create a webhook; prints its URL and secret (shown once)") { name, kind, output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Webhooks.WebhooksClient(leader.Channel).AddWebhookAsync(new AddWebhookRequest { Name = parse.GetValue(name)!, Kind = parse.GetValue(kind)! }, leader.Call());
            var w = response.Webhook;
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, new AddedView(w.Name, w.Kind, w.Url, NullIfEmpty(w.ListenerUrl), response.Secret), JsonContext.Printing.AddedView);
                return 0;
            }

            await stdout.WriteLineAsync($"webhook {w.Name} ({w.Kind}) created");
            await stdout.WriteLineAsync($"url:    {w.Url}   (path on the leader's --webhook-listen listener; senders use your TLS proxy's https://HOST{w.Url})");
            if (w.ListenerUrl.Length > 0)
            {
                await stdout.WriteLineAsync($"listener: {w.ListenerUrl}   (plain HTTP, direct)");
            }

            await stdout.WriteLineAsync($"secret: {response.Secret}");
            await stdout.WriteLineAsync(w.Kind switch
            {
                "registry" => "configure the registry: notifications: endpoints: [{name: cluster, url: URL, headers: {Authorization: [Bearer SECRET]}}]",
                "dockerhub" => "in Docker Hub, add the webhook URL with ?token=SECRET appended (Docker Hub signs nothing)",
                "github" => "in GitHub, add the URL with content type application/json and SECRET as the webhook secret",
                _ => "in GitLab, add the URL with SECRET as the secret token",
            });
            await stdout.WriteLineAsync("the secret is shown only now; remove and add the webhook again to get a new one");
            return 0;
        }));
        return command;
    }

    private static Command List(TextWriter stdout, TextWriter stderr)
    {
        var output = GlobalOptions.Output();
        var command = new Command("list", "List webhooks and each one's last delivery (when, accepted or why refused)") { output };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            var response = await new Webhooks.WebhooksClient(leader.Channel).ListWebhooksAsync(new ListWebhooksRequest(), leader.Call());
            var views = response.Webhooks.Select(WebhookView.From).ToList();
            if (parse.GetValue(output) == OutputFormat.Json)
            {
                Json.Write(stdout, views, JsonContext.Printing.ListWebhookView);
                return 0;
            }

            Table.Write(stdout, ["NAME", "KIND", "URL", "LAST DELIVERY", "RESULT"],
                views.Select(v => new[]
                {
                    v.Name, v.Kind, v.Url,
                    v.LastDelivery?.At?.ToString("u", CultureInfo.InvariantCulture) ?? "never",
                    v.LastDelivery is null ? "" : (v.LastDelivery.Accepted ? "accepted: " : "refused: ") + v.LastDelivery.Reason,
                }));
            await Task.CompletedTask;
            return 0;
        }));
        return command;
    }

    private static Command Remove(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME");
        var command = new Command("remove", "Remove a webhook; its deliveries are refused from now on") { name };
        command.SetAction((parse, ct) => LeaderCall.RunAsync(parse, stderr, async leader =>
        {
            await new Webhooks.WebhooksClient(leader.Channel).RemoveWebhookAsync(new RemoveWebhookRequest { Name = parse.GetValue(name)! }, leader.Call());
            await stdout.WriteLineAsync($"webhook {parse.GetValue(name)} removed");
            return 0;
        }));
        return command;
    }

    private static string? NullIfEmpty(string value) => value.Length > 0 ? value : null;

    // INTERFACE.md: `webhook add -o json` prints {"name","kind","url","secret"} once; `url` is the
    // path on the webhook listener ("/hooks/NAME"). Added: "listenerUrl", that path on the
    // leader's own listener address when the leader knows it, else null.
    internal sealed record AddedView(string Name, string Kind, string Url, string? ListenerUrl, string Secret);

    internal sealed record DeliveryView(DateTime? At, bool Accepted, string Reason);

    internal sealed record WebhookView(string Name, string Kind, string Url, string? ListenerUrl, DateTime? CreatedAt, DeliveryView? LastDelivery)
    {
        public static WebhookView From(Webhook w) => new(
            w.Name, w.Kind, w.Url, NullIfEmpty(w.ListenerUrl), w.CreatedAt?.ToDateTime(),
            w.LastDelivery is null ? null : new DeliveryView(w.LastDelivery.At?.ToDateTime(), w.LastDelivery.Accepted, w.LastDelivery.Reason));
    }
}
