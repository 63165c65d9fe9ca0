using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Webhooks;

// A flood of forged deliveries to a known webhook name, through the real cluster-leader's
// webhook listener: each is refused (401) at once, but the leader records and logs them
// coalesced, at most once a second with the count, not once each; a genuine delivery during
// or after the flood is accepted and recorded as the last delivery.
public sealed partial class ForgedDeliveryTests
{
    [Fact]
    public async Task ForgedDeliveries_Flood_RefusedEachButRecordedAndLoggedAboutOncePerSecond()
    {
        var port = LeaderBinary.FreePort();
        await using var leader = await LeaderBinary.StartAsync("--webhook-listen", $"127.0.0.1:{port}");
        var added = await leader.CtlAsync(null, "webhook", "add", "hub", "--kind", "registry", "-o", "json");
        Assert.True(added.ExitCode == 0, added.ToString());
        string secret;
        using (var doc = JsonDocument.Parse(added.Output))
        {
            secret = doc.RootElement.GetProperty("secret").GetString()!;
        }

        var url = $"http://127.0.0.1:{port}/hooks/hub";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await WebhookDelivery.PostAsync(http, url, "warm-up-not-the-secret", waitForListener: true);
        await Task.Delay(RefusalWindow);
        var clock = Stopwatch.StartNew();
        const int forged = 300;
        for (var i = 0; i < forged; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WebhookDelivery.PostAsync(http, url, $"forged-{i}"));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(RefusalWindow * 2);
        var flooded = await LastDeliveryAsync(leader);
        Assert.Equal(HttpStatusCode.Accepted, await WebhookDelivery.PostAsync(http, url, secret));
        await Task.Delay(RefusalWindow * 2);
        var genuine = await LastDeliveryAsync(leader);

        // One line at once, then one per second of flood with the count (and the warm-up's own).
        var single = leader.Output.Split('\n').Count(l => l.Contains("webhook hub: delivery refused", StringComparison.Ordinal));
        var many = CountedLine().Matches(leader.Output).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(single + many.Count <= seconds + 4, $"{single + many.Count} refusal lines for {forged} deliveries in {seconds:0.0} s:\n{leader.Output}");
        Assert.Equal(forged + 1, single + many.Sum());
        Assert.False(flooded.GetProperty("accepted").GetBoolean());
        Assert.Contains("within 1 s, recorded as one", flooded.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(genuine.GetProperty("accepted").GetBoolean(), genuine.ToString());
        Assert.DoesNotContain("forged-", leader.Output, StringComparison.Ordinal);
    }

    private static TimeSpan RefusalWindow => Cluster.Leader.Webhooks.RefusalCoalescer.Window;

    private static async Task<JsonElement> LastDeliveryAsync(LeaderBinary leader)
    {
        var listed = await leader.CtlAsync(null, "webhook", "list", "-o", "json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        using var doc = JsonDocument.Parse(listed.Output);
        return doc.RootElement.EnumerateArray().Single().GetProperty("lastDelivery").Clone();
    }

    [GeneratedRegex(@"webhook hub: (\d+) more deliveries refused within")]
    private static partial Regex CountedLine();
}
