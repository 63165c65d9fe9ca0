using Cluster.Core.Security;
using Cluster.Leader.Operations;
using Cluster.Leader.Security;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Leader.Api;

// The gate in front of every gRPC method the leader serves (registered globally, so it runs for
// every mapped service and every call type). What a call needs is decided by ApiAccessPolicy
// from the endpoint that routing matched (the service's descriptor name), never from the
// request path; a call whose endpoint carries no gRPC method metadata is refused. Admin-token
// services need "authorization: Bearer <admin token>", else UNAUTHENTICATED, before the handler
// runs. Paths that match no method never reach here: gRPC answers UNIMPLEMENTED (or HTTP 404).
//
// Also turns OperationException into its status code (its Facts into trailers), for the admin
// and the node services alike, and any other failure into INTERNAL with a message that points
// to the leader's log instead of leaking internals.
public sealed partial class AdminAuthInterceptor(TokenStore tokens, ILogger<AdminAuthInterceptor> log) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var method = Authorize(context);
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context, method);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var method = Authorize(context);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context, method);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var method = Authorize(context);
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context, method);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var method = Authorize(context);
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Translate(e, context, method);
        }
    }

    // Who did it, for the audit trail: the admin token has one holder role; the peer says from where.
    public static string ActorOf(ServerCallContext context) => $"admin@{context?.Peer}";

    // Returns the matched method's full name (from its descriptor) for logs and errors.
    private string Authorize(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var refusal = Check(context.GetHttpContext(), tokens, out var method);
        if (refusal != Refusal.None)
        {
            LogRefusal(log, refusal, method, context.Peer);
            throw new RpcException(new Status(StatusCode.Unauthenticated, MessageOf(refusal)));
        }

        return method;
    }

    // What a call needs, decided from the endpoint routing matched (ApiAccessPolicy) and what
    // the call carries; `method` is the matched method's full name ("" when none matched). The
    // one decision both gates use: ApiGate before the request's body is read, this interceptor
    // again before the handler runs.
    internal enum Refusal
    {
        None,
        NoEndpoint,
        NoClientCertificate,
        MissingToken,
        InvalidToken,
    }

    internal static Refusal Check(HttpContext http, TokenStore tokens, out string method)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(tokens);
        var matched = http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();
        if (matched is null)
        {
            // Not reachable through MapGrpcService; refuse rather than guess from the path.
            method = "";
            return Refusal.NoEndpoint;
        }

        method = matched.Method.FullName;
        switch (ApiAccessPolicy.For(matched.Method.ServiceName))
        {
            case ApiAccess.Anonymous:
                return Refusal.None;
            case ApiAccess.NodeCertificate:
                return http.Connection.ClientCertificate is null ? Refusal.NoClientCertificate : Refusal.None;
            default:
                var header = http.Request.Headers.Authorization.ToString();
                const string scheme = "Bearer ";
                var token = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
                return tokens.IsValid(ClusterTokenKind.Admin, token) ? Refusal.None : token is null ? Refusal.MissingToken : Refusal.InvalidToken;
        }
    }

    internal static string MessageOf(Refusal refusal) => refusal switch
    {
        Refusal.NoEndpoint => "refused: the request matched no gRPC method of this leader",
        Refusal.NoClientCertificate => "no client certificate: this service is for joined nodes; join first with the join token (cluster.join.v1.Enrollment/Join)",
        Refusal.MissingToken => "missing admin token: send metadata 'authorization: Bearer <admin token>' (DATA_DIR/admin.token on the leader)",
        _ => "invalid admin token",
    };

    internal static void LogRefusal(ILogger logger, Refusal refusal, string method, string peer)
    {
        switch (refusal)
        {
            case Refusal.NoEndpoint:
                Log.NoEndpoint(logger, peer);
                break;
            case Refusal.NoClientCertificate:
                Log.NoClientCertificate(logger, method, peer);
                break;
            default:
                Log.Unauthenticated(logger, method, peer);
                break;
        }
    }

    private RpcException Translate(Exception e, ServerCallContext context, string method)
    {
        if (e is OperationException op)
        {
            var code = op.Error switch
            {
                OperationError.InvalidArgument => StatusCode.InvalidArgument,
                OperationError.NotFound => StatusCode.NotFound,
                OperationError.AlreadyExists => StatusCode.AlreadyExists,
                OperationError.Unavailable => StatusCode.Unavailable,
                OperationError.ResourceExhausted => StatusCode.ResourceExhausted,
                OperationError.Aborted => StatusCode.Aborted,
                OperationError.Unauthenticated => StatusCode.Unauthenticated,
                OperationError.PermissionDenied => StatusCode.PermissionDenied,
                _ => StatusCode.FailedPrecondition,
            };
            var trailers = new Metadata();
            foreach (var (name, value) in op.Facts)
            {
                trailers.Add(name, value);
            }

            return new RpcException(new Status(code, op.Message), trailers);
        }

        if (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "call cancelled or deadline exceeded"));
        }

        Log.Failed(log, method, e.GetType().Name, e.Message);
        return new RpcException(new Status(StatusCode.Internal, $"the leader failed to handle {method} ({e.GetType().Name}); see the leader's log"));
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "refused {Method} from {Peer}: no valid admin token")]
        public static partial void Unauthenticated(ILogger logger, string method, string peer);

        [LoggerMessage(301, LogLevel.Error, "{Method} failed: {Type}: {Message}")]
        public static partial void Failed(ILogger logger, string method, string type, string message);

        [LoggerMessage(302, LogLevel.Warning, "refused {Method} from {Peer}: node service called without a client certificate")]
        public static partial void NoClientCertificate(ILogger logger, string method, string peer);

        [LoggerMessage(303, LogLevel.Warning, "refused a call from {Peer}: its endpoint carries no gRPC method metadata")]
        public static partial void NoEndpoint(ILogger logger, string peer);
    }
}
