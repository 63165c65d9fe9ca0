using Cluster.Core.Security;
using Cluster.Leader.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Api;

// Guards the admin API: every call to a cluster.admin.v1 service must carry
// "authorization: Bearer <admin token>", else UNAUTHENTICATED. Also turns OperationException
// into its status code, and any other failure into INTERNAL with a message that points to the
// leader's log instead of leaking internals.
public sealed partial class AdminAuthInterceptor(TokenStore tokens, ILogger<AdminAuthInterceptor> log) : Interceptor
{
    private const string AdminPackage = "/cluster.admin.v1.";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context);
        }
    }

    // Who did it, for the audit trail: the admin token has one holder role; the peer says from where.
    public static string ActorOf(ServerCallContext context) => $"admin@{context?.Peer}";

    private void Authorize(ServerCallContext context)
    {
        if (!context.Method.StartsWith(AdminPackage, StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        var token = header is not null && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
        if (!tokens.IsValid(ClusterTokenKind.Admin, token))
        {
            Log.Unauthenticated(log, context.Method, context.Peer);
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                token is null ? "missing admin token: send metadata 'authorization: Bearer <admin token>' (DATA_DIR/admin.token on the leader)" : "invalid admin token"));
        }
    }

    private RpcException Translate(Exception e, ServerCallContext context)
    {
        if (e is OperationException op)
        {
            var code = op.Error switch
            {
                OperationError.InvalidArgument => StatusCode.InvalidArgument,
                OperationError.NotFound => StatusCode.NotFound,
                OperationError.AlreadyExists => StatusCode.AlreadyExists,
                OperationError.Unavailable => StatusCode.Unavailable,
                _ => StatusCode.FailedPrecondition,
            };
            return new RpcException(new Status(code, op.Message));
        }

        if (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "call cancelled or deadline exceeded"));
        }

        Log.Failed(log, context.Method, e.GetType().Name, e.Message);
        return new RpcException(new Status(StatusCode.Internal, $"the leader failed to handle {context.Method} ({e.GetType().Name}); see the leader's log"));
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "refused {Method} from {Peer}: no valid admin token")]
        public static partial void Unauthenticated(ILogger logger, string method, string peer);

        [LoggerMessage(301, LogLevel.Error, "{Method} failed: {Type}: {Message}")]
        public static partial void Failed(ILogger logger, string method, string type, string message);
    }
}
