using Cluster.Leader.Security;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http.Features;

namespace Cluster.Leader.Api;

// The gate again, earlier: as middleware between routing and the gRPC endpoint, so a call that
// ApiAccessPolicy refuses is answered UNAUTHENTICATED before the leader reads its body. The
// interceptor alone ran after gRPC had received and parsed a unary or server-streaming call's
// request (up to the message cap, 4 MiB by default), so any anonymous peer could make the
// leader buffer that much per call, 100 calls per connection. Same decision
// (AdminAuthInterceptor.Check); the interceptor still runs for every call that passes here.
// Calls to anonymous services pass with their body capped per message
// (ApiAccessPolicy.MessageCapOf, MessageCappedBody).
public static class ApiGate
{
    // Call after Build(), before or after the MapGrpcService calls (WebApplication runs this
    // middleware after routing matched an endpoint and before the endpoint runs).
    public static IApplicationBuilder UseApiGate(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var tokens = app.ApplicationServices.GetRequiredService<TokenStore>();
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Cluster.Leader.Api.ApiGate");
        return app.Use(async (http, next) =>
        {
            // Not a gRPC method (the gRPC fallbacks for unknown paths, plain 404s): those
            // answer UNIMPLEMENTED or 404 on their own and run no handler of ours.
            if (http.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() is not { } matched)
            {
                await next(http);
                return;
            }

            var refusal = AdminAuthInterceptor.Check(http, tokens, out var method);
            if (refusal == AdminAuthInterceptor.Refusal.None)
            {
                // Callers without credentials get small messages only (ApiAccessPolicy).
                if (ApiAccessPolicy.MessageCapOf(matched.Method.ServiceName) is { } cap)
                {
                    var body = new MessageCappedBody(http.Request.BodyReader, cap);
                    http.Features.Set<IRequestBodyPipeFeature>(new CappedBodyFeature(body));
                }

                await next(http);
                return;
            }

            AdminAuthInterceptor.LogRefusal(log, refusal, method, http.Connection.RemoteIpAddress?.ToString() ?? "?");
            // A gRPC "trailers-only" answer: status in the headers, no body; the request's
            // body is never read.
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = ((int)Grpc.Core.StatusCode.Unauthenticated).ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString(AdminAuthInterceptor.MessageOf(refusal));
            await http.Response.CompleteAsync();
        });
    }

    private sealed class CappedBodyFeature(System.IO.Pipelines.PipeReader reader) : IRequestBodyPipeFeature
    {
        public System.IO.Pipelines.PipeReader Reader => reader;
    }
}
