using System.Net;
using System.Text.Json;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Webhooks;

// Webhook names are lowercase (WebhookService.Add), and refusals are coalesced per name
// (RefusalCoalescer) on the promise that the names are bounded: known names, plus one shared key
// for every unknown one. The database compares strings case-insensitively, so "/hooks/HUB",
// "/hooks/Hub", ... must not reach the webhook "hub": each spelling would be a new coalescing key
// (2^length of them), each refused delivery written to the database at once.
public sealed class WebhookNameCaseTests
{
    [Fact]
    public async Task Delivery_NameInOtherCase_IsUnknownAndRecordsNothing()
    {
        var port = InProcessLeader.FreePort();
        await using var leader = await InProcessLeader.StartAsync("--webhook-listen", $"127.0.0.1:{port}");
        var added = await leader.CtlAsync(null, "webhook", "add", "hub", "--kind", "registry", "-o", "json");
        Assert.True(added.ExitCode == 0, added.ToString());
        string secret;
        using (var doc = JsonDocument.Parse(added.Output))
        {
            secret = doc.RootElement.GetProperty("secret").GetString()!;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await WebhookDelivery.PostAsync(http, $"http://127.0.0.1:{port}/hooks/no-such-hook", "x", waitForListener: true);
        var statuses = new List<HttpStatusCode>();
        foreach (var spelling in new[] { "HUB", "Hub", "hUb", "huB" })
        {
            statuses.Add(await WebhookDelivery.PostAsync(http, $"http://127.0.0.1:{port}/hooks/{spelling}", "forged"));
        }

        var genuineOtherCase = await WebhookDelivery.PostAsync(http, $"http://127.0.0.1:{port}/hooks/HUB", secret);
        var listed = await leader.CtlAsync(null, "webhook", "list", "-o", "json");

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.Equal(HttpStatusCode.NotFound, genuineOtherCase);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using var list = JsonDocument.Parse(listed.Output);
        var hub = list.RootElement.EnumerateArray().Single();
        Assert.True(
            !hub.TryGetProperty("lastDelivery", out var last) || last.ValueKind == JsonValueKind.Null,
            $"a delivery to another spelling was recorded on 'hub': {hub}");
    }
}
