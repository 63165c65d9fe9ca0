using System.Net;
using System.Text.Json;
using Cluster.Leader.Tests.Support;
using LiteDB;

namespace Cluster.Leader.Tests.Webhooks;

// Issue #9.6 for webhooks, on the leader hosted in-process (restarted on its data dir): two webhooks have their sealed
// secrets swapped in cluster.db while the leader is stopped. Started again, SecretCheck names
// both; a delivery to either (anyone on the network can send one) must be refused like any other
// refusal: answered at once, coalesced, no stack trace per request in the leader's log, and the
// untouched webhook still accepts its genuine deliveries.
public sealed class UnopenableWebhookSecretTests
{
    [Fact]
    public async Task SwappedWebhookSecrets_Deliveries_RefusedCoalescedWithoutErrors()
    {
        var port = InProcessLeader.FreePort();
        await using var leader = await InProcessLeader.StartAsync("--webhook-listen", $"127.0.0.1:{port}");
        var secrets = new Dictionary<string, string>();
        foreach (var name in new[] { "alpha", "beta", "gamma" })
        {
            var added = await leader.CtlAsync(null, "webhook", "add", name, "--kind", "registry", "-o", "json");
            Assert.True(added.ExitCode == 0, added.ToString());
            using var doc = JsonDocument.Parse(added.Output);
            secrets[name] = doc.RootElement.GetProperty("secret").GetString()!;
        }

        await leader.StopAsync();
        using (var db = new LiteDatabase($"Filename={Path.Combine(leader.DataDir, "cluster.db")};Connection=direct"))
        {
            var hooks = db.GetCollection("webhooks");
            var a = hooks.FindOne(Query.EQ("Name", "alpha"));
            var b = hooks.FindOne(Query.EQ("Name", "beta"));
            (a["SealedSecret"], b["SealedSecret"]) = (b["SealedSecret"], a["SealedSecret"]);
            Assert.True(hooks.Update(a) && hooks.Update(b));
        }

        await leader.RestartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var gamma = await WebhookDelivery.PostAsync(http, $"http://127.0.0.1:{port}/hooks/gamma", secrets["gamma"], waitForListener: true);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            statuses.Add(await WebhookDelivery.PostAsync(http, $"http://127.0.0.1:{port}/hooks/alpha", i % 2 == 0 ? secrets["alpha"] : $"forged-{i}"));
        }

        var output = leader.Output;
        Assert.Equal(HttpStatusCode.Accepted, gamma);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Unauthorized or HttpStatusCode.ServiceUnavailable, $"{s}"));
        Assert.DoesNotContain("CryptographicException", output, StringComparison.Ordinal);
        Assert.DoesNotContain("unhandled exception", output, StringComparison.OrdinalIgnoreCase);
        var lines = output.Split('\n').Count(l => l.Contains("webhook alpha", StringComparison.Ordinal));
        Assert.True(lines <= 5, $"{lines} lines about webhook alpha for 20 deliveries in about a second:\n{output}");
        Assert.DoesNotContain(secrets["alpha"], output, StringComparison.Ordinal);
    }
}
