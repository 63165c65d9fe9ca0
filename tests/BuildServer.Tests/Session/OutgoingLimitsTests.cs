using Cluster.BuildServer.Session;
using Cluster.Protos.Build.V1;
using Google.Protobuf;

namespace Cluster.BuildServer.Tests.Session;

// The leader ends a builder's session on a message over 256 KiB (and keeps 1024 characters of a
// log line): whatever a build prints, what the builder sends stays under both.
public sealed class OutgoingLimitsTests
{
    private const int LeaderMaxMessageBytes = 256 * 1024;

    [Fact]
    public void Log_HugeLine_IsCutBelowTheLeadersCaps()
    {
        var message = OutgoingLimits.Log("b1", new string('€', 1_000_000));

        Assert.True(message.Log.Line.Length <= 1024);
        Assert.True(message.CalculateSize() < LeaderMaxMessageBytes);
    }

    [Fact]
    public void Result_ManyHugeLastLinesAndError_FitsInOneMessage()
    {
        var result = new BuildResult { JobId = "b1", Error = new string('€', 1_000_000), FailedStep = new string('x', 100_000) };
        for (var i = 0; i < 500; i++)
        {
            result.LastLines.Add($"{i} " + new string('€', 100_000));
        }

        var message = OutgoingLimits.Result(result);

        Assert.True(message.CalculateSize() < LeaderMaxMessageBytes, $"{message.CalculateSize()} bytes");
        Assert.StartsWith("499 ", message.Result.LastLines[^1], StringComparison.Ordinal);
    }
}
