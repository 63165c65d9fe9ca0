using System.Net;
using System.Text.Json;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Webhooks;

// INTERFACE.md: a webhook's `url` is a path on the --webhook-listen listener. Against the real
// leader and clusterctl binaries: `url` is "/hooks/NAME" whatever the listener; `listenerUrl` is
// that path on the listener's own address only where the leader knows it, and a delivery sent
// there is the webhook's.
public sealed class WebhookUrlTests
{
    [Fact]
    public async Task Add_ListenerOnLoopback_UrlIsThePath_ListenerUrlReceivesDeliveries()
    {
        var port = InProcessLeader.FreePort();
        await using var leader = await InProcessLeader.StartAsync("--webhook-listen", $"127.0.0.1:{port}");

        var added = await leader.CtlAsync(null, "webhook", "add", "hub", "--kind", "registry", "-o", "json");

        Assert.True(added.ExitCode == 0, added.ToString());
        using var doc = JsonDocument.Parse(added.Output);
        var root = doc.RootElement;
        Assert.Equal("/hooks/hub", root.GetProperty("url").GetString());
        var listenerUrl = root.GetProperty("listenerUrl").GetString();
        Assert.Equal($"http://127.0.0.1:{port}/hooks/hub", listenerUrl);
        var secret = root.GetProperty("secret").GetString()!;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var wrong = await WebhookDelivery.PostAsync(http, listenerUrl!, "not-the-secret", waitForListener: true);
        var right = await WebhookDelivery.PostAsync(http, listenerUrl!, secret, waitForListener: true);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.Accepted, right);

        var listed = await leader.CtlAsync(null, "webhook", "list", "-o", "json");
        using var list = JsonDocument.Parse(listed.Output);
        var hook = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal("/hooks/hub", hook.GetProperty("url").GetString());
        Assert.Equal(listenerUrl, hook.GetProperty("listenerUrl").GetString());
        Assert.True(hook.GetProperty("lastDelivery").GetProperty("accepted").GetBoolean(), listed.Output);
    }

    // No listener, or a wildcard listener without --advertise: the leader does not know where it
    // is reached, so it gives the path only; a wildcard with --advertise uses the advertised name.
    [Theory]
    [InlineData(false, false, null)]
    [InlineData(true, false, null)]
    [InlineData(true, true, "http://leader.example:{0}/hooks/hub")]
    public async Task Add_AddressUnknownOrAdvertised_UrlIsAlwaysThePath(bool listen, bool advertise, string? expected)
    {
        var port = InProcessLeader.FreePort();
        var args = new List<string>();
        if (listen)
        {
            args.AddRange(["--webhook-listen", $"0.0.0.0:{port}"]);
        }

        if (advertise)
        {
            args.AddRange(["--advertise", "leader.example"]);
        }

        await using var leader = await InProcessLeader.StartAsync([.. args]);

        var added = await leader.CtlAsync(null, "webhook", "add", "hub", "--kind", "github", "-o", "json");

        Assert.True(added.ExitCode == 0, added.ToString());
        using var doc = JsonDocument.Parse(added.Output);
        Assert.Equal("/hooks/hub", doc.RootElement.GetProperty("url").GetString());
        var listenerUrl = doc.RootElement.GetProperty("listenerUrl");
        if (expected is null)
        {
            Assert.Equal(JsonValueKind.Null, listenerUrl.ValueKind);
        }
        else
        {
            Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, port), listenerUrl.GetString());
        }
    }
}
