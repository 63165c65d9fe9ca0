using Cluster.Cli.Connection;
using Cluster.Core.Security;
using Grpc.Core;

namespace Cluster.Core.Tests.Cli;

// What clusterctl prints for a failed call: one line that names the leader and what happened,
// for every status the leader (or the transport) can end a call with, even without a message.
public sealed class AdminConnectionTests
{
    public static TheoryData<StatusCode> Failures() => [.. Enum.GetValues<StatusCode>().Where(c => c != StatusCode.OK)];

    [Theory]
    [MemberData(nameof(Failures))]
    public void Describe_StatusWithoutMessage_NamesTheLeaderAndTheStatus(StatusCode code)
    {
        using var connection = Connect();

        var text = connection.Describe(new RpcException(new Status(code, "")));

        Assert.Contains("10.0.0.1:7000", text, StringComparison.Ordinal);
        Assert.Matches(code is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? "leader" : code.ToString(), text);
    }

    [Fact]
    public void Describe_StatusWithMessage_IsTheLeadersMessage()
    {
        using var connection = Connect();

        Assert.Equal("app 'web' not found", connection.Describe(new RpcException(new Status(StatusCode.NotFound, "app 'web' not found"))));
    }

    // A leader address that accepts TCP and then says nothing (a frozen or overloaded leader, a
    // port that is not a TLS server): the call ends when the connect timeout passes, and the
    // text says the connection failed and within how long, not "no message".
    [Fact]
    public async Task Describe_ConnectTimeout_SaysTheConnectionFailedAndWithinHowLong()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var address = $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}";
        using var connection = AdminConnection.Open(address, Token, TimeSpan.FromSeconds(1));

        var failure = await Assert.ThrowsAsync<RpcException>(() => new Cluster.Protos.Admin.V1.Webhooks.WebhooksClient(connection.Channel)
            .ListWebhooksAsync(new Cluster.Protos.Admin.V1.ListWebhooksRequest(), connection.Call(TimeSpan.FromSeconds(30))).ResponseAsync);
        var text = connection.Describe(failure);

        Assert.StartsWith($"cannot reach the leader at {address}: no connection (TCP and TLS handshake) within 1 s", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no message", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_DefaultConnectTimeout_IsLongEnoughForALoadedLeader()
    {
        Assert.True(AdminConnection.DefaultConnectTimeout >= TimeSpan.FromSeconds(15));
    }

    private static readonly string Token = $"CLSTR1-ADMIN-{new string('a', 64)}-{new string('b', 64)}";

    private static AdminConnection Connect() =>
        AdminConnection.Open("10.0.0.1:7000", Token);
}
