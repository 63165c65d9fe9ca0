using Cluster.Leader.Credentials.Helpers;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Tests.Credentials.Helpers;

public sealed class HelperEnvironmentTests
{
    [Fact]
    public void Parse_KeyValueLines_CommentsAndBlanksSkipped()
    {
        var env = HelperEnvironment.Parse("# aws\nAWS_ACCESS_KEY_ID=AKIA1\r\n\nAWS_SECRET_ACCESS_KEY=a=b=c\n");

        Assert.Equal("AKIA1", env["AWS_ACCESS_KEY_ID"]);
        Assert.Equal("a=b=c", env["AWS_SECRET_ACCESS_KEY"]);
        Assert.Equal(2, env.Count);
    }

    [Fact]
    public void Parse_MalformedLine_RefusedNamingTheLineNotItsContent()
    {
        var e = Assert.Throws<OperationException>(() => HelperEnvironment.Parse("A=1\nsecret-value-without-key\n"));

        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PATH=/tmp/evil")]
    [InlineData("HOME=/root")]
    public void Parse_LeaderOwnedVariable_Refused(string line)
    {
        var e = Assert.Throws<OperationException>(() => HelperEnvironment.Parse(line));

        Assert.Contains("the leader sets itself", e.Message, StringComparison.Ordinal);
    }
}
