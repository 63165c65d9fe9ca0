using Cluster.Leader.Tests.Support;
using Cluster.Testing;

namespace Cluster.Leader.Tests.Api;

// `clusterctl cluster rotate-admin-token` against the real leader binary: the old token is
// refused on the very next call, the printed one works and is the one in DATA_DIR/admin.token.
public sealed class AdminTokenRotationTests : IAsyncLifetime
{
    private InProcessLeader _leader = null!;

    public async Task InitializeAsync() => _leader = await InProcessLeader.StartAsync();

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public async Task RotateAdminToken_OldTokenRefusedAtOnce_NewOneWorks()
    {
        var old = _leader.AdminToken;
        var rotate = await _leader.CtlAsync(old, "cluster", "rotate-admin-token");

        Assert.True(rotate.ExitCode == 0, rotate.Output + "\nleader:\n" + _leader.Output);
        var printed = Assert.Single(rotate.Output.Split('\n'), line => line.StartsWith("CLSTR1-ADMIN-", StringComparison.Ordinal)).Trim();
        Assert.NotEqual(old, printed);
        Assert.Equal(printed, _leader.AdminToken);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_leader.DataDir, "admin.token")));
        Assert.Contains("admin.token", rotate.Output, StringComparison.Ordinal);

        var refused = await _leader.CtlAsync(old, "app", "list");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("invalid admin token", refused.Output, StringComparison.Ordinal);
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        Assert.Equal(RawGrpcResult.Unauthenticated, (await grpc.CallAsync("/cluster.admin.v1.Apps/ListApps", old)).GrpcStatus);

        var works = await _leader.CtlAsync(printed, "app", "list");
        Assert.True(works.ExitCode == 0, works.Output);
        Assert.Equal(RawGrpcResult.Ok, (await grpc.CallAsync("/cluster.admin.v1.Apps/ListApps", printed)).GrpcStatus);

        // Secrets never in the log; no temp file left beside the token.
        Assert.DoesNotContain(printed.Split('-')[3], _leader.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_leader.DataDir, "*.tmp"));
    }
}
