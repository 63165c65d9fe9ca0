using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Tests.Support;
using Cluster.Testing;
using Grpc.Core;

namespace Cluster.Leader.Tests.Security;

// Issue #9 item 3: node certificates come from the leader's CA, so a holder of a node's key
// could serve TLS as "the leader" and collect the admin token from clusterctl and join tokens
// from agents. Only the leader's certificate carries the leader identity, and clients require it.
public sealed class LeaderIdentityTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-impostor-test-").FullName;
    private readonly InProcessLeader _leader = fixture.Leader;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Certificates_FromRealLeader_OnlyTheServerCarriesTheLeaderIdentity()
    {
        using var server = await NodeEnrollment.ServerCertificateAsync(_leader);
        var (node, ca) = await NodeEnrollment.JoinAsync(_leader, "worker-1");
        using (node)
        using (ca)
        {
            Assert.True(PinnedCa.HasLeaderIdentity(server));
            Assert.False(PinnedCa.HasLeaderIdentity(node));
            var usages = Assert.Single(node.Extensions.OfType<X509EnhancedKeyUsageExtension>()).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
            Assert.Equal([PinnedCa.ClientAuthOid], usages);
            Assert.DoesNotContain(node.Extensions.Cast<X509Extension>(), e => e.Oid?.Value == PinnedCa.SubjectAltNameOid);
        }
    }

    // What the agent's LeaderChannel (and bench's simulated agents) run on every handshake, fed
    // the chain as the TLS stack hands it over when the impostor sends the CA along.
    [Fact]
    public async Task AgentValidator_RealNodeCertificateWithCaInChain_IsRefusedAsNotTheLeader()
    {
        var (node, ca) = await NodeEnrollment.JoinAsync(_leader, "worker-2");
        using (node)
        using (ca)
        {
            using var presented = new X509Chain();
            presented.ChainPolicy.ExtraStore.Add(ca);
            string? reason = null;

            var accepted = PinnedCa.Validator(_leader.CaFingerprint, r => reason = r)(node, presented, SslPolicyErrors.None);

            Assert.False(accepted);
            Assert.Contains("posing as the leader", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Clusterctl_ImpostorServingRealNodeCertificate_RefusesBeforeSendingTheToken()
    {
        var (node, ca) = await NodeEnrollment.JoinAsync(_leader, "worker-3");
        var port = FreePort();
        using (node)
        using (ca)
        {
            File.WriteAllText(Path.Combine(_dir, "node.pem"), node.ExportCertificatePem());
            File.WriteAllText(Path.Combine(_dir, "node.key"), node.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(Path.Combine(_dir, "ca.pem"), ca.ExportCertificatePem());
        }

        // A plain TLS server that sends the node certificate AND the cluster CA, as an attacker
        // holding one node's key would (-www: it serves without reading stdin).
        await using var impostor = Daemon.StartCommand("openssl", "s_server", "-accept", $"127.0.0.1:{port}",
            "-cert", Path.Combine(_dir, "node.pem"), "-key", Path.Combine(_dir, "node.key"), "-cert_chain", Path.Combine(_dir, "ca.pem"), "-alpn", "h2", "-www");
        Assert.True(await impostor.WaitForOutputAsync("ACCEPT", TimeSpan.FromSeconds(30)), impostor.Output);

        var result = await ProcessRunner.RunAsync(Daemon.PathOf("Cli", "clusterctl"), ["app", "list"], TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["CLUSTER_LEADER"] = $"127.0.0.1:{port}",
            ["CLUSTER_TOKEN"] = _leader.AdminToken,
            ["CLUSTER_CONFIG"] = Path.Combine(_dir, "none.conf"),
        });

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("posing as the leader", result.Output, StringComparison.Ordinal);
        // The real leader is still accepted by the same client.
        Assert.Equal(0, (await _leader.CtlAsync(null, "app", "list")).ExitCode);
    }

    [Fact]
    public async Task Join_CsrAskingForServerUsageAndLeaderName_IsRefused()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => NodeEnrollment.JoinAsync(_leader, "sneaky", csr =>
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(PinnedCa.LeaderIdentity);
            csr.CertificateExtensions.Add(san.Build());
            csr.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(PinnedCa.ServerAuthOid)], false));
        }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("client-auth only", e.Status.Detail, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
