using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests.Api;

// The gate decides before the leader reads a request's body: a caller without the admin token
// cannot make the leader receive (and buffer, up to the message cap) a message for an admin
// rpc. A unary call announces a 3 MiB message and sends only its first bytes: the refusal must
// come at once, not after the body (which never ends here).
public sealed class PreAuthBodyTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private readonly InProcessLeader _leader = fixture.Leader;

    [Theory]
    [InlineData("/cluster.admin.v1.Apps/CreateApp")]
    [InlineData("/cluster.admin.v1.Deployments/Deploy")]
    [InlineData("/CLUSTER.ADMIN.V1.REGISTRIES/ADDREGISTRY")]
    public async Task AdminRpc_NoToken_RefusedBeforeItsBodyArrives(string path)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is X509Certificate2 leaf && PinnedCa.Validator(_leader.CaFingerprint)(leaf, chain, errors);
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var never = new CancellationTokenSource();
        var body = new NeverEndingBody(3 << 20, never.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{_leader.Address}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var within = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, within.Token);
        }
        catch (OperationCanceledException)
        {
            // No answer within 10 s: the leader is waiting for the body.
        }
        finally
        {
            await never.CancelAsync();
        }

        using (response)
        {
            Assert.True(response is not null, $"{path}: no answer while the body was incomplete: the leader reads an unauthenticated caller's message before deciding");
            var status = response.Headers.TryGetValues("grpc-status", out var values) ? values.First() : null;
            Assert.Equal("16", status);
        }
    }

    // The 5-byte gRPC frame header announcing `length` bytes, 1 KiB of them, then nothing until
    // cancelled.
    private sealed class NeverEndingBody(int length, CancellationToken stop) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var header = new byte[5];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), length);
            await stream.WriteAsync(header, stop);
            await stream.WriteAsync(new byte[1024], stop);
            await stream.FlushAsync(stop);
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
