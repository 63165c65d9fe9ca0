using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Api;

// Text an agent reports (here its hostname, at join) reaches the admin's terminal through
// clusterctl. Control characters in it must not: no escape sequences, no carriage returns, no
// forged table rows, no bidi overrides. JSON output keeps the text, escaped.
public sealed class RelayedTextOutputTests : IAsyncLifetime
{
    private const string Hostile = "evil\u001b[2J\u001b]0;pwned\u0007\rFAKE\nnode  ready\u202Eabc\u009b";
    private LeaderBinary _leader = null!;

    public async Task InitializeAsync() => _leader = await LeaderBinary.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task NodeList_HostnameWithControlCharacters_PrintsThemStripped()
    {
        var (node, ca) = await NodeEnrollment.JoinAsync(_leader, Hostile);
        node.Dispose();
        ca.Dispose();

        var table = await _leader.CtlAsync(null, "node", "list");
        var json = await _leader.CtlAsync(null, "node", "list", "-o", "json");

        Assert.True(table.ExitCode == 0, table.Output);
        Assert.Contains("evil", table.Output, StringComparison.Ordinal);
        foreach (var forbidden in new[] { '\u001b', '\r', '\u0007', '\u202E', '\u009b' })
        {
            Assert.DoesNotContain(forbidden, table.Output);
            Assert.DoesNotContain(forbidden, json.Output);
        }

        // Header plus exactly one row: the newline inside the hostname forged no second row.
        Assert.Equal(2, table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\\u001B", json.Output, StringComparison.OrdinalIgnoreCase);
    }
}
