using Google.Protobuf.Reflection;
using Grpc.Net.Client;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Cluster.Daemons.Tests.Leader;

// The standard gRPC server reflection service answers without a token (docs/INTERFACE.md: so
// grpcurl can list and describe the API) in the leader binary users get: the native build when
// CLUSTER_TEST_LEADER names it. Grpc.AspNetCore.Server.Reflection is not trim-annotated (its
// IL2104 summary is suppressed in Leader.csproj), so only a call to the real process shows that
// it still finds the services and their descriptors.
public sealed class ServerReflectionTests
{
    [Fact]
    public async Task Reflection_Anonymous_ListsServicesAndDescribesThem()
    {
        await using var leader = await LeaderProcessHost.StartAsync();
        using var channel = leader.Channel();

        var v1 = await AskV1Async(channel, new V1.ServerReflectionRequest { ListServices = "" });
        var services = v1.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("cluster.admin.v1.Registries", services);
        Assert.Contains("cluster.admin.v1.Apps", services);
        Assert.Contains("cluster.join.v1.Enrollment", services);
        Assert.Contains("grpc.health.v1.Health", services);

        // grpcurl's `describe`: the file that declares a service, with its methods.
        var described = await AskV1Async(channel, new V1.ServerReflectionRequest { FileContainingSymbol = "cluster.admin.v1.Registries" });
        var files = described.FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        var registries = files.SelectMany(f => f.Service).Single(s => s.Name == "Registries");
        Assert.Contains(registries.Method, m => m.Name == "AddRegistry");

        // Older clients (grpcurl before 1.9) ask the v1alpha service.
        using var alpha = new V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await alpha.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "" });
        await alpha.RequestStream.CompleteAsync();
        Assert.True(await alpha.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(services.Order(StringComparer.Ordinal), alpha.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    private static async Task<V1.ServerReflectionResponse> AskV1Async(GrpcChannel channel, V1.ServerReflectionRequest request)
    {
        using var call = new V1.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the reflection stream ended without an answer");
        var response = call.ResponseStream.Current;
        Assert.True(response.ErrorResponse is null, $"reflection answered an error: {response.ErrorResponse}");
        return response;
    }
}
