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

    private static AdminConnection Connect() =>
        AdminConnection.Open("10.0.0.1:7000", $"CLSTR1-ADMIN-{new string('a', 64)}-{new string('b', 64)}");
}
