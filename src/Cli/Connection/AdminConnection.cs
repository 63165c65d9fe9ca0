using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Cli.Connection;

// One TLS channel to the leader's admin API. The leader's certificate must chain to the CA whose
// fingerprint the admin token carries and carry the leader identity (PinnedCa: a node
// certificate from the same CA is refused; no other trust, no downloads); every call carries
// the token as "authorization: Bearer" and a deadline.
internal sealed class AdminConnection : IDisposable
{
    // TCP connect plus TLS handshake. Not 5 s as it was: 20 `clusterctl deploy` started at once
    // against a leader on a loaded 2-core machine (the Auto-Sync benchmark) needed longer, and
    // a refused or unroutable address still fails at once; only a silent one waits this long.
    // The leader waits 30 s for a handshake (LeaderHost.HandshakeTimeout), so the client gives up first.
    internal static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(20);

    private readonly string _token;
    private readonly TimeSpan _connectTimeout;
    private string? _tlsRejection;

    private AdminConnection(string address, ClusterToken token, TimeSpan connectTimeout)
    {
        Address = address;
        _token = token.Format();
        _connectTimeout = connectTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    certificate is X509Certificate2 leaf && PinnedCa.Validator(token.CaFingerprint, reason => _tlsRejection = reason)(leaf, chain, errors),
                CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
            },
        };
        Channel = GrpcChannel.ForAddress($"https://{address}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public string Address { get; }

    public GrpcChannel Channel { get; }

    public static AdminConnection Open(string? leader, string? token) => Open(leader, token, DefaultConnectTimeout);

    internal static AdminConnection Open(string? leader, string? token, TimeSpan connectTimeout)
    {
        if (string.IsNullOrWhiteSpace(leader))
        {
            throw new CliException("no leader address: pass --leader HOST:PORT, set CLUSTER_LEADER, or write leader=HOST:PORT in /etc/cluster/clusterctl.conf");
        }

        if (string.IsNullOrWhiteSpace(token))
        {
            throw new CliException("no admin token: set CLUSTER_TOKEN (or pass --token, or token-file=PATH in /etc/cluster/clusterctl.conf); the leader writes it to DATA_DIR/admin.token");
        }

        if (!ClusterToken.TryParse(token, out var parsed, out var error))
        {
            throw new CliException($"admin token: {error}");
        }

        if (parsed.Kind != ClusterTokenKind.Admin)
        {
            throw new CliException("that is a join token; clusterctl needs the admin token (DATA_DIR/admin.token on the leader)");
        }

        return new AdminConnection(leader.Trim(), parsed, connectTimeout);
    }

    public CallOptions Call(TimeSpan? deadline = null) => new(
        headers: new Metadata { { "authorization", "Bearer " + _token } },
        deadline: DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(30)));

    // What went wrong with a call, in words for the admin.
    public string Describe(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_tlsRejection is not null)
        {
            return $"refusing to talk to {Address}: {_tlsRejection}";
        }

        // SocketsHttpHandler's ConnectTimeout ends the call as Cancelled, with a TimeoutException
        // inside: the connection, not the leader, is what failed.
        if (Causes(e).OfType<TimeoutException>().Any())
        {
            return $"cannot reach the leader at {Address}: no connection (TCP and TLS handshake) within {_connectTimeout.TotalSeconds:0} s; " +
                "check --leader, that cluster-leader runs there and answers (its log), and the load on both machines";
        }

        return e.StatusCode switch
        {
            StatusCode.Unavailable => $"cannot reach the leader at {Address}: {Innermost(e)}; check --leader and that cluster-leader runs there",
            StatusCode.DeadlineExceeded => $"the leader at {Address} did not answer in time",
            _ when string.IsNullOrWhiteSpace(e.Status.Detail) => NoDetail(e),
            _ => e.Status.Detail,
        };
    }

    // A status without a message (a stream reset, a leader stopped or frozen mid-call): say which
    // call ended how, never an empty line. The bench that found it: 20 `clusterctl deploy` at once
    // while the leader was paused printed "clusterctl: " 17 times.
    private string NoDetail(RpcException e)
    {
        var inner = Innermost(e);
        var cause = string.IsNullOrWhiteSpace(inner) ? "" : $": {inner}";
        return $"the call to the leader at {Address} ended with status {e.StatusCode} and no message{cause}; " +
            "if it changed something (a deploy), `clusterctl deployment list APP` shows whether it happened; the leader's log says why";
    }

    public void Dispose() => Channel.Dispose();

    private static IEnumerable<Exception> Causes(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException ?? e.InnerException; inner is not null; inner = inner.InnerException)
        {
            yield return inner;
        }
    }

    private static string Innermost(RpcException e) => Causes(e).LastOrDefault()?.Message ?? e.Status.Detail;
}
