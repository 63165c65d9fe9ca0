using Cluster.Leader.Tests.Support;
using Grpc.Core;

namespace Cluster.Leader.Tests.Api;

// Text an agent reports (its hostname, at join) reaches the admin's terminal through clusterctl.
// Two layers keep control characters off the terminal: the leader refuses a hostname that is
// not a plain host name at enrollment (AgentLimits), so such text is never stored, and clusterctl
// strips whatever still arrives (TerminalText; its table is in Core.Tests/Cli).
public sealed class RelayedTextOutputTests : IAsyncLifetime
{
    private const string Hostile = "evil\u001b[2J\u001b]0;pwned\u0007\rFAKE\nnode  ready\u202Eabc\u009b";
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task Join_HostnameWithControlCharacters_IsRefusedAndNeverListed()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => NodeEnrollment.JoinAsync(_leader, Hostile));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("hostname", refused.Status.Detail, StringComparison.Ordinal);
        var json = await _leader.CtlAsync(null, "node", "list", "-o", "json");
        Assert.True(json.ExitCode == 0, json.Output);
        Assert.DoesNotContain("evil", json.Output, StringComparison.Ordinal);
    }
}
