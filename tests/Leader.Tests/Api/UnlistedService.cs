using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Tests.Api;

// A gRPC service that ApiAccessPolicy has never heard of ("cluster.test.v1.Unlisted"), bound the
// way generated code binds one (hence not sealed). It counts the calls that reached it.
[BindServiceMethod(typeof(UnlistedService), nameof(BindService))]
public class UnlistedService
{
    public const string FullName = "cluster.test.v1.Unlisted";

    private static readonly Marshaller<Empty> EmptyMarshaller = Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom);

    private static readonly Method<Empty, Empty> PingMethod = new(MethodType.Unary, FullName, "Ping", EmptyMarshaller, EmptyMarshaller);

    private static int _calls;

    public static int Calls => Volatile.Read(ref _calls);

    public static void BindService(ServiceBinderBase binder, UnlistedService? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(PingMethod, service is null ? null : service.Ping);
    }

    // gRPC binds a handler only if it is virtual and declared on the bound type, as generated
    // service bases declare theirs.
    public virtual Task<Empty> Ping(Empty request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(new Empty());
    }
}
