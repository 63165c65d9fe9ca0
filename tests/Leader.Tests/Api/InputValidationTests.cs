using Cluster.Core.Text;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;

namespace Cluster.Leader.Tests.Api;

// Issue #9 item 6, against the real leader and clusterctl binaries: names and tags are checked
// as whole strings (a trailing newline is not "the end"), tags on deploy are checked before
// anything starts, and a replica count below 1 is refused instead of becoming 1. One leader
// serves the class (LeaderFixture): each test names its own app, and "nothing created" is the
// leader's app list unchanged by the refused call.
public sealed class InputValidationTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("101")]
    public async Task AppCreate_ReplicasOutOfRange_IsRefusedAndNothingCreated(string replicas)
    {
        var before = await AppNamesAsync();

        var result = await _leader.CtlAsync(null, "app", "create", "replicas", "--image", "nginx:1.27", "--replicas", replicas);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"--replicas {replicas}", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, await AppNamesAsync());
    }

    [Fact]
    public async Task AppSet_ReplicasBelowOne_IsRefusedByClusterctlAndByTheLeader()
    {
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "set-web", Image = "nginx:1.27", Replicas = 2 });

        var cli = await _leader.CtlAsync(null, "app", "set", "set-web", "--replicas", "-1");
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        var wire = await grpc.CallAsync("/cluster.admin.v1.Apps/UpdateApp", _leader.AdminToken, new UpdateAppRequest { Name = "set-web", Replicas = 0 });

        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("--replicas -1", cli.Output, StringComparison.Ordinal);
        Assert.True(wire.GrpcStatus == 3, wire.ToString());
        Assert.Equal(2u, Assert.Single(await _leader.AppsAsync(), a => a.Name == "set-web").Replicas);
    }

    [Theory]
    [InlineData("web\n")]
    [InlineData("web\nother")]
    [InlineData("Web")]
    public async Task AppCreate_NameNotWholeStringValid_IsRefused(string name)
    {
        var before = await AppNamesAsync();

        var result = await _leader.CtlAsync(null, "app", "create", name, "--image", "nginx:1.27");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("is not valid", result.Output, StringComparison.Ordinal);
        Assert.Equal(before, await AppNamesAsync());
    }

    [Theory]
    [InlineData("1.0\n")]
    [InlineData("1.0 rm")]
    [InlineData(".hidden")]
    public async Task Deploy_InvalidTag_IsRefusedBeforeAnythingStarts(string tag)
    {
        // Its own app per case (the leader is shared), so the deployments checked are this case's.
        var app = $"tag-{Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(tag))}";
        await _leader.CreateAppAsync(new CreateAppRequest { Name = app, Image = "nginx:1.27" });
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var result = await grpc.CallAsync("/cluster.admin.v1.Deployments/Deploy", _leader.AdminToken, new DeployRequest { App = app, Tag = tag });
        var cli = await _leader.CtlAsync(null, "deploy", app, "--tag", tag);

        // The refused value is quoted (a newline shown as \n) and a valid tag described.
        var refusal = $"--tag {Quoted.Value(tag)} is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', e.g. 1.4.2 or v2-rc1";
        Assert.True(result.GrpcStatus == 3 && result.GrpcMessage == refusal, result.ToString());
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains(refusal, cli.Output, StringComparison.Ordinal);
        Assert.Empty(await _leader.DeploymentsAsync(app));
    }

    private async Task<IReadOnlyList<string>> AppNamesAsync() =>
        [.. (await _leader.AppsAsync()).Select(a => a.Name).Order(StringComparer.Ordinal)];
}
