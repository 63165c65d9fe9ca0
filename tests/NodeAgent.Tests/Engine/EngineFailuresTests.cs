using Cluster.Core.Registry;
using Cluster.NodeAgent.Engine;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Tests.Engine;

public sealed class EngineFailuresTests
{
    [Fact]
    public void ToProto_EveryRegistryFailureKind_HasItsOwnWireValue()
    {
        var mapped = Enum.GetValues<RegistryFailureKind>().Select(EngineFailures.ToProto).ToList();

        Assert.Equal(mapped.Count, mapped.Distinct().Count());
        Assert.DoesNotContain(FailureKind.Unspecified, mapped);
        Assert.Equal(FailureKind.NoSpace, EngineFailures.ToProto(RegistryFailureKind.NoSpace));
    }

    [Theory]
    [InlineData(RegistryFailureKind.Unauthorized, "unauthorized: authentication required", "unauthorized: authentication required")]
    [InlineData(RegistryFailureKind.Unauthorized, "login attempt failed with status: 401 Unauthorized", "unauthorized: login attempt failed with status: 401 Unauthorized")]
    [InlineData(RegistryFailureKind.Unreachable, "dial tcp: lookup nope: no such host", "registry unreachable: dial tcp: lookup nope: no such host")]
    [InlineData(RegistryFailureKind.Other, "  something odd ", "something odd")]
    public void Describe_EngineDetail_LeadsWithTheWordsTheUserActsOnOnce(RegistryFailureKind kind, string detail, string expected)
    {
        Assert.Equal(expected, EngineFailures.Describe(kind, detail));
    }
}
