using Cluster.Leader.Api;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Api;

// Issue #9 item 1, against the real cluster-leader binary: no rpc of any admin service runs
// without the admin token, whatever spelling of its path the caller sends. The rpcs come from
// the generated descriptors, so a new one is covered automatically. The request paths are sent
// raw over HTTP/2, exactly as written.
public sealed class AdminAuthorizationTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task EveryAdminRpc_AnyPathVariant_NoOrWrongToken_NeverRuns()
    {
        var services = ProtoServices.InPackage("cluster.admin.v1").ToList();
        Assert.Contains(services, s => s.Name == "Apps");
        Assert.Contains(services, s => s.Name == "ClusterAdmin");
        var forged = $"CLSTR1-ADMIN-{_leader.CaFingerprint}-{new string('0', 64)}";
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var ran = new List<string>();
        var calls = 0;
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            Assert.Equal(ApiAccess.AdminToken, ApiAccessPolicy.For(method.Service.FullName));
            foreach (var path in ProtoServices.PathVariants(method))
            {
                foreach (var (label, bearer) in new[] { ("no token", (string?)null), ("forged token", forged), ("join token", _leader.JoinToken) })
                {
                    var result = await grpc.CallAsync(path, bearer);
                    calls++;
                    if (!result.IsRefusedBeforeAnyHandler)
                    {
                        ran.Add($"{label}: {result}");
                    }
                }
            }
        }

        Assert.True(ran.Count == 0, $"{ran.Count} of {calls} calls were not refused:\n{string.Join("\n", ran)}");
        Assert.True(calls > 100, $"only {calls} calls were made; the descriptor enumeration found too little");
    }

    // The control that makes the test above able to fail: the same variant paths DO reach the
    // handler when the token is right, so their refusal without it is the gate's doing.
    [Fact]
    public async Task AdminRpc_VariantPathWithAdminToken_ReachesTheHandler()
    {
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var canonical = await grpc.CallAsync("/cluster.admin.v1.Apps/ListApps", _leader.AdminToken);
        var capital = await grpc.CallAsync("/Cluster.admin.v1.Apps/ListApps", _leader.AdminToken);
        var unauthenticated = await grpc.CallAsync("/Cluster.admin.v1.Apps/ListApps", null);

        Assert.True(canonical.GrpcStatus == RawGrpcResult.Ok, canonical.ToString());
        Assert.True(capital.GrpcStatus == RawGrpcResult.Ok, capital.ToString());
        Assert.True(unauthenticated.GrpcStatus == RawGrpcResult.Unauthenticated, unauthenticated.ToString());
    }

    [Fact]
    public async Task NodeServices_NoClientCertificate_AreRefusedBeforeAnyHandler()
    {
        var nodeServices = ProtoServices.All.Where(s => ApiAccessPolicy.For(s.FullName) == ApiAccess.NodeCertificate).ToList();
        Assert.Contains(nodeServices, s => s.FullName == "cluster.agent.v1.Dispatcher");
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var ran = new List<string>();
        foreach (var method in nodeServices.SelectMany(s => s.Methods))
        {
            foreach (var path in ProtoServices.PathVariants(method))
            {
                var result = await grpc.CallAsync(path, _leader.AdminToken);
                if (!result.IsRefusedBeforeAnyHandler)
                {
                    ran.Add(result.ToString());
                }
            }
        }

        Assert.True(ran.Count == 0, string.Join("\n", ran));
    }

    [Fact]
    public async Task Health_NoToken_IsServing()
    {
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var result = await grpc.CallAsync("/grpc.health.v1.Health/Check", null);

        Assert.True(result.GrpcStatus == RawGrpcResult.Ok, result.ToString());
    }

    [Fact]
    public async Task UnknownPaths_AnyToken_AreUnimplementedOrNotFound()
    {
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        foreach (var path in new[] { "/cluster.admin.v1.Apps/NoSuchRpc", "/cluster.admin.v1.NoSuchService/ListApps", "/", "/cluster.admin.v1.Apps", "/x/y/z" })
        {
            var result = await grpc.CallAsync(path, _leader.AdminToken);
            Assert.True(result.GrpcStatus == RawGrpcResult.Unimplemented || (result.HttpStatus == 404 && result.GrpcStatus is null), result.ToString());
        }
    }
}
