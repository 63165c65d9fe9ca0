using System.Security.Cryptography.X509Certificates;
using System.Text;
using Cluster.Cli;
using Cluster.Core.Security;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Cluster.Lab.Tests.Leader;

// The admin API's gate (TLS with the leader's own CA, the admin token) and the protection of
// secrets at rest (sealed in the DB, key apart, key rotation), against a real leader.
[Collection(LabCollection.Name)]
public sealed class AdminApiSecurityTests(LabFixture lab) : IAsyncLifetime
{
    private readonly string _user = "s" + Guid.NewGuid().ToString("N")[..10];
    private readonly string _password = "secret-" + Guid.NewGuid().ToString("N");
    private LeaderProcess _leader = null!;

    public async Task InitializeAsync()
    {
        await Htpasswd.SetAsync(lab.Env, _user, _password);
        _leader = await LeaderProcess.StartAsync(lab.Env.ManagerSocket);
    }

    public async Task DisposeAsync() => await _leader.DisposeAsync();

    [Fact]
    public void FirstStart_DataDir_HoldsTokensAndKeysReadableByOwnerOnly()
    {
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(_leader.DataDir, "admin.token")));
        Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(_leader.DataDir, "join.token")));
        Assert.Equal(owner, File.GetUnixFileMode(Path.Combine(_leader.DataDir, "ca.key")));
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(_leader.DataDir, "keys")));
        Assert.All(Directory.GetFiles(Path.Combine(_leader.DataDir, "keys")), f => Assert.Equal(owner, File.GetUnixFileMode(f)));

        Assert.True(ClusterToken.TryParse(_leader.AdminToken, out var admin, out _));
        Assert.Equal(ClusterTokenKind.Admin, admin.Kind);
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_leader.DataDir, "ca.crt")));
        Assert.Equal(ClusterToken.FingerprintOf(ca.RawData), admin.CaFingerprint);
    }

    [Fact]
    public async Task AdminCall_NoOrWrongToken_IsUnauthenticated()
    {
        var fingerprint = ClusterToken.TryParse(_leader.AdminToken, out var admin, out _) ? admin.CaFingerprint : "";
        var forged = $"CLSTR1-ADMIN-{fingerprint}-{new string('0', 64)}";

        var wrong = await RunCtl(["registry", "list", "--leader", _leader.Address, "--token", forged]);
        Assert.NotEqual(0, wrong.Exit);
        Assert.Contains("invalid admin token", wrong.Stderr, StringComparison.Ordinal);

        var join = await RunCtl(["registry", "list", "--leader", _leader.Address, "--token", File.ReadAllText(Path.Combine(_leader.DataDir, "join.token")).Trim()]);
        Assert.NotEqual(0, join.Exit);
        Assert.Contains("join token", join.Stderr, StringComparison.Ordinal);

        // A raw gRPC client with the CA file but no token: UNAUTHENTICATED.
        using var channel = ChannelWithCaFile();
        var client = new Cluster.Protos.Admin.V1.Registries.RegistriesClient(channel);
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.ListRegistriesAsync(new Cluster.Protos.Admin.V1.ListRegistriesRequest()));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task AdminCall_TokenPinningAnotherCa_IsRefusedBeforeSendingAnything()
    {
        var otherCa = ClusterToken.Create(ClusterTokenKind.Admin, new string('a', 64)).Format();

        var result = await RunCtl(["registry", "list", "--leader", _leader.Address, "--token", otherCa]);

        Assert.NotEqual(0, result.Exit);
        Assert.Contains("not issued by the CA pinned in the token", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_WithCaFileAndNoToken_IsServing()
    {
        using var channel = ChannelWithCaFile();

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_ListsTheAdminServices()
    {
        using var channel = ChannelWithCaFile();
        var client = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel);
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));

        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("cluster.admin.v1.Registries", services);
        Assert.Contains("cluster.admin.v1.Deployments", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Secrets_AfterAddUpdateVerifyRestartAndKeyRotation_NeverAppearInDbLogsOrOutput()
    {
        var secondPassword = "rotated-" + Guid.NewGuid().ToString("N");
        Assert.Equal(0, (await _leader.CtlWithStdinAsync(_password, "registry", "add", "lab", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure")).Exit);
        Assert.NotEqual(0, (await _leader.CtlWithStdinAsync(_password + "x", "registry", "add", "bad", "--provider", "generic", "--url", lab.Env.Registry, "--username", _user, "--password-stdin", "--insecure")).Exit);
        await Htpasswd.SetAsync(lab.Env, _user, secondPassword);
        Assert.NotEqual(0, (await _leader.CtlAsync("registry", "verify", "lab")).Exit);
        Assert.Equal(0, (await _leader.CtlWithStdinAsync(secondPassword, "registry", "update", "lab", "--password-stdin")).Exit);
        await _leader.CtlAsync("registry", "list");
        await _leader.CtlAsync("registry", "show", "lab", "-o", "json");

        // Key rotation needs the leader stopped; while it runs, it is refused clearly.
        var busy = await Daemon.RunAsync("Leader", "cluster-leader", "rotate-key", "--data-dir", _leader.DataDir);
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("in use by a running cluster-leader", busy.Output, StringComparison.Ordinal);
        await _leader.StopAsync();
        var keysBefore = Directory.GetFiles(Path.Combine(_leader.DataDir, "keys"), "*.key").Select(Path.GetFileName).ToList();
        var rotate = await Daemon.RunAsync("Leader", "cluster-leader", "rotate-key", "--data-dir", _leader.DataDir);
        Assert.True(rotate.ExitCode == 0, rotate.Output);
        Assert.Contains("re-encrypted 1 secret", rotate.Output, StringComparison.Ordinal);
        var keysAfter = Directory.GetFiles(Path.Combine(_leader.DataDir, "keys"), "*.key").Select(Path.GetFileName).ToList();
        Assert.Single(keysAfter);
        Assert.DoesNotContain(keysAfter[0], keysBefore);
        await _leader.StartAsync();
        var verify = await _leader.CtlAsync("registry", "verify", "lab");
        Assert.True(verify.Exit == 0, verify.ToString());
        await _leader.StopAsync();

        foreach (var secret in new[] { _password, _password + "x", secondPassword })
        {
            AssertNotInFiles(_leader.DataDir, secret);
            Assert.DoesNotContain(secret, _leader.Log, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, rotate.Output + busy.Output, StringComparison.Ordinal);
            Assert.All(_leader.CliOutputs, output => Assert.DoesNotContain(secret, output, StringComparison.Ordinal));
        }

        // The tokens themselves are secrets too: never in the log.
        Assert.DoesNotContain(_leader.AdminToken.Split('-')[3], _leader.Log, StringComparison.Ordinal);
    }

    // Every file under the data dir except the key files, as raw bytes in UTF-8 and UTF-16.
    private static void AssertNotInFiles(string dir, string secret)
    {
        var utf8 = Encoding.UTF8.GetBytes(secret);
        var utf16 = Encoding.Unicode.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(bytes.AsSpan().IndexOf(utf8) >= 0, $"{file} holds a secret in plain text");
            Assert.False(bytes.AsSpan().IndexOf(utf16) >= 0, $"{file} holds a secret in plain text (UTF-16)");
        }
    }

    private GrpcChannel ChannelWithCaFile()
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_leader.DataDir, "ca.crt")));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
            return chain.Build(leaf);
        };
        return GrpcChannel.ForAddress($"https://{_leader.Address}", new GrpcChannelOptions { HttpHandler = handler });
    }

    private static async Task<CliResult> RunCtl(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await ClusterCtl.RunAsync(args, stdout, stderr, new StringReader(""));
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }
}
