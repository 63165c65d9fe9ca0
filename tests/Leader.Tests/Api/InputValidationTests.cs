using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Tests.Api;

// Issue #9 item 6, against the real leader and clusterctl binaries: names and tags are checked
// as whole strings (a trailing newline is not "the end"), tags on deploy are checked before
// anything starts, and a replica count below 1 is refused instead of becoming 1.
public sealed class InputValidationTests : IAsyncLifetime
{
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("101")]
    public async Task AppCreate_ReplicasOutOfRange_IsRefusedAndNothingCreated(string replicas)
    {
        var result = await _leader.CtlAsync(null, "app", "create", "web", "--image", "nginx:1.27", "--replicas", replicas);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"--replicas {replicas}", result.Output, StringComparison.Ordinal);
        Assert.Empty(await _leader.AppsAsync());
    }

    [Fact]
    public async Task AppSet_ReplicasBelowOne_IsRefusedByClusterctlAndByTheLeader()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "web", Image = "nginx:1.27", Replicas = 2 });

        var cli = await _leader.CtlAsync(null, "app", "set", "web", "--replicas", "-1");
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        var wire = await grpc.CallAsync("/cluster.admin.v1.Apps/UpdateApp", _leader.AdminToken, new UpdateAppRequest { Name = "web", Replicas = 0 });

        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("--replicas -1", cli.Output, StringComparison.Ordinal);
        Assert.True(wire.GrpcStatus == 3, wire.ToString());
        Assert.Equal(2u, Assert.Single(await _leader.AppsAsync()).Replicas);
    }

    [Theory]
    [InlineData("web\n")]
    [InlineData("web\nother")]
    [InlineData("Web")]
    public async Task AppCreate_NameNotWholeStringValid_IsRefused(string name)
    {
        var result = await _leader.CtlAsync(null, "app", "create", name, "--image", "nginx:1.27");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("is not valid", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.0\n")]
    [InlineData("1.0 rm")]
    [InlineData(".hidden")]
    public async Task Deploy_InvalidTag_IsRefusedBeforeAnythingStarts(string tag)
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "web", Image = "nginx:1.27" });
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var result = await grpc.CallAsync("/cluster.admin.v1.Deployments/Deploy", _leader.AdminToken, new DeployRequest { App = "web", Tag = tag });
        var cli = await _leader.CtlAsync(null, "deploy", "web", "--tag", tag);

        Assert.True(result.GrpcStatus == 3 && result.GrpcMessage.Contains("not a valid tag", StringComparison.Ordinal), result.ToString());
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("not a valid tag", cli.Output, StringComparison.Ordinal);
        Assert.Empty(await _leader.DeploymentsAsync("web"));
    }
}
