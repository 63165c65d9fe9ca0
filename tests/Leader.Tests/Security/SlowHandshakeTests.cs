using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Security;

// On a loaded small machine (20 `clusterctl deploy` started at once beside other work, in the
// Auto-Sync benchmark) a client's TLS handshake took longer than Kestrel's default 10 s, and the
// leader closed the connection under it: clusterctl printed "The response ended prematurely".
// The leader waits longer for a handshake than clusterctl waits to connect
// (AdminConnection.DefaultConnectTimeout), so the client is the one that gives up, with words.
public sealed class SlowHandshakeTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task Handshake_StartedAfterKestrelsDefaultTimeout_StillCompletes()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, _leader.Port);

        // Past Kestrel's default HandshakeTimeout (10 s), counted from the accept.
        await Task.Delay(TimeSpan.FromSeconds(11));
        await using var tls = new SslStream(tcp.GetStream());
        string? rejected = null;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "cluster-leader",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                certificate is X509Certificate2 leaf && PinnedCa.Validator(_leader.CaFingerprint, reason => rejected = reason)(leaf, chain, errors),
            CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
        });

        Assert.Null(rejected);
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
    }
}
