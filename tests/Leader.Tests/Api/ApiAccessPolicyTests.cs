using System.Net;
using Cluster.Core.Security;
using Cluster.Leader.Api;
using Cluster.Leader.Security;
using Cluster.Leader.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Leader.Tests.Api;

// Deny by default: a service registered with the leader's gRPC setup (AddGuardedGrpc) but not
// listed in ApiAccessPolicy needs the admin token. Hosted in-process on loopback with the same
// registration call the leader makes.
public sealed class ApiAccessPolicyTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-access-test-").FullName;
    private WebApplication _app = null!;
    private TokenStore _tokens = null!;
    private string _address = "";

    public async Task InitializeAsync()
    {
        _tokens = TokenStore.LoadOrCreate(_dir, new string('a', 64));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(_tokens);
        builder.Services.AddGuardedGrpc();
        builder.Services.AddGrpcHealthChecks();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.UseApiGate();
        _app.MapGrpcService<UnlistedService>();
        _app.MapGrpcHealthChecksService();
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void For_ServiceNotListed_NeedsTheAdminToken()
    {
        Assert.Equal(ApiAccess.AdminToken, ApiAccessPolicy.For(UnlistedService.FullName));
        Assert.Equal(ApiAccess.AdminToken, ApiAccessPolicy.For("Grpc.Health.V1.Health"));
        Assert.Equal(ApiAccess.AdminToken, ApiAccessPolicy.For(""));
    }

    // The list itself, so widening it is a visible, reviewed change.
    [Fact]
    public void NonAdminServices_AreExactlyTheAnonymousAndNodeServices()
    {
        var expected = new Dictionary<string, ApiAccess>
        {
            ["grpc.health.v1.Health"] = ApiAccess.Anonymous,
            ["grpc.reflection.v1alpha.ServerReflection"] = ApiAccess.Anonymous,
            ["grpc.reflection.v1.ServerReflection"] = ApiAccess.Anonymous,
            ["cluster.join.v1.Enrollment"] = ApiAccess.Anonymous,
            ["cluster.agent.v1.Dispatcher"] = ApiAccess.NodeCertificate,
            ["cluster.build.v1.BuildDispatcher"] = ApiAccess.NodeCertificate,
        };

        Assert.Equal(expected.OrderBy(p => p.Key), ApiAccessPolicy.NonAdminServices.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task UnlistedService_NoOrWrongToken_IsRefusedAndNeverRuns()
    {
        using var grpc = RawGrpc.Cleartext(_address);
        var forged = ClusterToken.Create(ClusterTokenKind.Admin, new string('a', 64)).Format();
        var before = UnlistedService.Calls;

        var refused = new List<RawGrpcResult>();
        foreach (var path in new[] { "/cluster.test.v1.Unlisted/Ping", "/CLUSTER.TEST.V1.UNLISTED/PING", "/cluster.test.v1.Unlisted/Ping/", "//cluster.test.v1.Unlisted/Ping" })
        {
            refused.Add(await grpc.CallAsync(path, null));
            refused.Add(await grpc.CallAsync(path, forged));
        }

        Assert.All(refused, r => Assert.True(r.IsRefusedBeforeAnyHandler, r.ToString()));
        Assert.Equal(before, UnlistedService.Calls);
    }

    [Fact]
    public async Task UnlistedService_AdminToken_Runs()
    {
        using var grpc = RawGrpc.Cleartext(_address);
        var admin = File.ReadAllText(TokenStore.PathOf(_dir, ClusterTokenKind.Admin)).Trim();
        var before = UnlistedService.Calls;

        var result = await grpc.CallAsync("/cluster.test.v1.Unlisted/Ping", admin);

        Assert.True(result.GrpcStatus == RawGrpcResult.Ok, result.ToString());
        Assert.True(UnlistedService.Calls > before);
    }

    [Fact]
    public async Task ListedAnonymousService_NoToken_Runs()
    {
        using var grpc = RawGrpc.Cleartext(_address);

        var result = await grpc.CallAsync("/grpc.health.v1.Health/Check", null);

        Assert.True(result.GrpcStatus == RawGrpcResult.Ok, result.ToString());
    }
}
