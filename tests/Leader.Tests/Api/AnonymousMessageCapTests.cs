using Cluster.Leader.Api;
using Cluster.Leader.Tests.Support;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cluster.Leader.Tests.Api;

// What a caller without any credential can make the leader receive, against the leader's real
// endpoint and gate (in-process): every rpc of every service ApiAccessPolicy lets in anonymously (taken
// from the policy, so a service made anonymous later is covered) refuses a message over
// ApiAccessPolicy.AnonymousMaxMessageBytes with RESOURCE_EXHAUSTED, while normal messages
// (a health check, a reflection listing, a real Join) still work.
public sealed class AnonymousMessageCapTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private const int ResourceExhausted = 8;

    // Every service descriptor the leader serves: the product's contracts, health, reflection.
    private static readonly IReadOnlyList<ServiceDescriptor> Served =
    [
        .. ProtoServices.All,
        Grpc.Health.V1.Health.Descriptor,
        Grpc.Reflection.V1.ServerReflection.Descriptor,
        Grpc.Reflection.V1Alpha.ServerReflection.Descriptor,
    ];

    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task EveryAnonymousRpc_MessageOverTheCap_NoToken_IsResourceExhausted()
    {
        var anonymous = ApiAccessPolicy.NonAdminServices.Where(s => s.Value == ApiAccess.Anonymous).Select(s => s.Key).ToList();
        var services = Served.Where(s => anonymous.Contains(s.FullName)).ToList();
        Assert.Equal(anonymous.Order(StringComparer.Ordinal), services.Select(s => s.FullName).Order(StringComparer.Ordinal));
        Assert.Contains("cluster.join.v1.Enrollment", anonymous);
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);
        // Twice the cap and under every service's own gRPC limit (Enrollment: 64 KiB), as an
        // unknown field that every request message would parse and skip.
        var oversized = UnknownField(2 * ApiAccessPolicy.AnonymousMaxMessageBytes);

        var accepted = new List<string>();
        foreach (var method in services.SelectMany(s => s.Methods))
        {
            var result = await grpc.CallAsync($"/{method.Service.FullName}/{method.Name}", null, oversized);
            if (result.GrpcStatus != ResourceExhausted)
            {
                accepted.Add(result.ToString());
            }
        }

        Assert.True(accepted.Count == 0, $"anonymous rpcs that took a {oversized.Length}-byte message:\n{string.Join("\n", accepted)}");
        Assert.True(services.Sum(s => s.Methods.Count) >= 5, "health, reflection and enrollment have at least 5 rpcs");
    }

    [Fact]
    public async Task AnonymousRpcs_NormalMessages_StillWork()
    {
        using var grpc = RawGrpc.Tls(_leader.Address, _leader.CaFingerprint);

        var health = await grpc.CallAsync("/grpc.health.v1.Health/Check", null);
        var nearTheCap = await grpc.CallAsync("/grpc.health.v1.Health/Check", null, UnknownField(ApiAccessPolicy.AnonymousMaxMessageBytes - 16));
        var reflection = await grpc.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", null,
            new Grpc.Reflection.V1.ServerReflectionRequest { ListServices = "" });
        var joined = await NodeEnrollment.JoinAsync(_leader, "agent-1");

        Assert.True(health.GrpcStatus == RawGrpcResult.Ok, health.ToString());
        Assert.True(nearTheCap.GrpcStatus == RawGrpcResult.Ok, nearTheCap.ToString());
        Assert.True(reflection.GrpcStatus == RawGrpcResult.Ok, reflection.ToString());
        Assert.False(string.IsNullOrEmpty(joined.Node.Subject));
    }

    // A protobuf message holding only field 1000 (unknown to every request) of `bytes` bytes in all.
    private static byte[] UnknownField(int bytes)
    {
        var content = new byte[bytes - 8];
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(content));
        }

        return buffer.ToArray();
    }
}
