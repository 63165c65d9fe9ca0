using System.Net;
using System.Text.RegularExpressions;
using Cluster.Leader.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Webhooks;

// A flood of forged deliveries to a known webhook name, through the leader's real webhook
// listener (the leader in-process, on a fake clock that the test advances while it floods): each
// is refused (401) at once, but the leader records and logs them coalesced, at most once a
// second with the count, not once each; a genuine delivery during or after the flood is
// accepted and recorded as the last delivery.
public sealed partial class ForgedDeliveryTests
{
    [Fact]
    public async Task ForgedDeliveries_Flood_RefusedEachButRecordedAndLoggedAboutOncePerSecond()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var port = InProcessLeader.FreePort();
        await using var leader = await InProcessLeader.StartAsync(time, "--webhook-listen", $"127.0.0.1:{port}");
        var secret = (await leader.AddWebhookAsync("hub", "registry")).Secret;

        var url = $"http://127.0.0.1:{port}/hooks/hub";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await WebhookDelivery.PostAsync(http, url, "warm-up-not-the-secret", waitForListener: true);
        time.Advance(RefusalWindow);
        // 300 forged deliveries over 1.5 s of the leader's clock: 50 ms every 10.
        const int forged = 300;
        var flood = TimeSpan.Zero;
        for (var i = 0; i < forged; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WebhookDelivery.PostAsync(http, url, $"forged-{i}"));
            if (i % 10 == 9)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                flood += TimeSpan.FromMilliseconds(50);
            }
        }

        time.Advance(RefusalWindow * 2);
        var flooded = await LastDeliveryAsync(leader);
        Assert.Equal(HttpStatusCode.Accepted, await WebhookDelivery.PostAsync(http, url, secret));
        time.Advance(RefusalWindow * 2);
        var genuine = await LastDeliveryAsync(leader);

        // One line at once (the warm-up's, then the flood's first), then one per second of flood
        // with the count.
        var single = leader.Output.Split('\n').Count(l => l.Contains("webhook hub: delivery refused", StringComparison.Ordinal));
        var many = CountedLine().Matches(leader.Output).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(single + many.Count <= flood.TotalSeconds + 3, $"{single + many.Count} refusal lines for {forged} deliveries in {flood.TotalSeconds:0.0} s:\n{leader.Output}");
        Assert.NotEmpty(many);
        Assert.Equal(forged + 1, single + many.Sum());
        Assert.False(flooded.Accepted);
        Assert.Contains("within 1 s, recorded as one", flooded.Reason, StringComparison.Ordinal);
        Assert.True(genuine.Accepted, genuine.ToString());
        Assert.DoesNotContain("forged-", leader.Output, StringComparison.Ordinal);
    }

    private static TimeSpan RefusalWindow => Cluster.Leader.Webhooks.RefusalCoalescer.Window;

    private static async Task<Cluster.Protos.Admin.V1.WebhookDelivery> LastDeliveryAsync(InProcessLeader leader) =>
        (await leader.WebhooksAsync()).Single().LastDelivery;

    [GeneratedRegex(@"webhook hub: (\d+) more deliveries refused within")]
    private static partial Regex CountedLine();
}
