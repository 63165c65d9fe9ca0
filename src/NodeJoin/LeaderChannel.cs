using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.NodeJoin;

// One HTTP/2 connection to the leader over TLS pinned to one CA (the join token's, or the one stored
// with the node identity, checked against the token at join): the
// leader's certificate must chain to that CA, nothing else is trusted and the host name is not
// checked (the pin names the one CA that issues leader certificates). With a node identity the
// connection is mutual TLS; without one it is only good for Enrollment.Join.
//
// One channel per session: a new session starts from a fresh connection, so a half-dead one
// left by a network cut is never reused. HTTP/2 keepalive pings notice a cut even while the
// leader has nothing to send.
internal sealed class LeaderChannel : IDisposable
{
    private readonly TimeSpan _callTimeout;
    private string? _tlsRejection;

    private LeaderChannel(INodeJoinOptions options, string caFingerprint, X509Certificate2? clientCertificate)
    {
        Address = options.Leader;
        _callTimeout = options.CallTimeout;
        var validate = PinnedCa.Validator(caFingerprint, reason => _tlsRejection = reason);
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                certificate is X509Certificate2 leaf && validate(leaf, chain, errors),
            CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
        };
        if (clientCertificate is not null)
        {
            ssl.ClientCertificates = [clientCertificate];
            // Always present the node certificate, whatever CA names the server lists.
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.CallTimeout,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            SslOptions = ssl,
        };
        Channel = GrpcChannel.ForAddress($"https://{options.Leader}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // Reconnection is the session loop's job, with its own backoff.
            MaxRetryAttempts = 0,
        });
    }

    public string Address { get; }

    public GrpcChannel Channel { get; }

    // Why the leader's certificate was refused, when it was.
    public string? TlsRejection => _tlsRejection;

    public static LeaderChannel Open(INodeJoinOptions options, string caFingerprint, X509Certificate2? clientCertificate = null) =>
        new(options, caFingerprint, clientCertificate);

    // The failure every call shares: an untrusted leader or an unreachable one. Null when the
    // status needs the caller's own interpretation (UNAUTHENTICATED means different things to
    // Join and to Session).
    public SessionFailure? Classify(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_tlsRejection is not null)
        {
            return new(SessionFailureKind.LeaderUntrusted, $"refusing to connect to the leader at {Address}: {_tlsRejection}", e);
        }

        return e.StatusCode switch
        {
            StatusCode.Unavailable => new(SessionFailureKind.LeaderUnreachable,
                $"cannot reach the leader at {Address}: {Innermost(e)}; it may be restarting, else check --leader and that cluster-leader runs there", e),
            StatusCode.Internal when e.Status.DebugException is HttpRequestException or IOException =>
                new(SessionFailureKind.LeaderUnreachable, $"the connection to the leader at {Address} broke: {Innermost(e)}", e),
            StatusCode.DeadlineExceeded =>
                new(SessionFailureKind.LeaderUnreachable, $"the leader at {Address} did not answer within {_callTimeout.TotalSeconds:0}s", e),
            StatusCode.Unimplemented =>
                new(SessionFailureKind.Protocol, $"the leader at {Address} does not offer this call ({e.Status.Detail}); is it an older cluster-leader?", e),
            _ => null,
        };
    }

    public void Dispose() => Channel.Dispose();

    internal static string Innermost(RpcException e)
    {
        var inner = e.Status.DebugException ?? e.InnerException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner?.Message ?? e.Status.Detail;
    }
}
