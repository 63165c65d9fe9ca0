namespace Cluster.Leader.Api;

// The leader's gRPC server with its gate: every service mapped afterwards with MapGrpcService
// runs behind AdminAuthInterceptor and ApiAccessPolicy. Tests host services with this same
// call, so what they prove about the gate holds for the leader.
public static class ApiServiceCollectionExtensions
{
    public static IServiceCollection AddGuardedGrpc(this IServiceCollection services)
    {
        services.AddSingleton<AdminAuthInterceptor>();
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<AdminAuthInterceptor>();
            grpc.EnableDetailedErrors = false;
        });
        return services;
    }
}
