using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;
using Cluster.Leader.Api;
using Cluster.Leader.Tests.Support;
using Google.Protobuf;

namespace Cluster.Leader.Tests.Api;

// The anonymous message cap (ApiAccessPolicy.AnonymousMaxMessageBytes) is on what the leader
// holds, not on what crosses the wire: a gzip-compressed gRPC message (grpc-encoding: gzip,
// compressed flag 1) whose frame is far under the cap inflates ~1000 times when gRPC
// decompresses it. A caller without credentials must not get past the cap that way.
public sealed class CompressedMessageTests(LeaderFixture fixture) : IClassFixture<LeaderFixture>
{
    private const int ResourceExhausted = 8;

    private readonly InProcessLeader _leader = fixture.Leader;

    [Fact]
    public async Task HealthCheck_GzipFrameUnderTheCapInflatingOverIt_NoToken_IsRefused()
    {
        // 2 MiB of an unknown field once inflated, a few KiB on the wire.
        var inflated = UnknownField(2 * 1024 * 1024);
        var compressed = Gzip(inflated);
        Assert.True(compressed.Length < ApiAccessPolicy.AnonymousMaxMessageBytes, $"{compressed.Length} bytes compressed");

        var (status, message) = await CallAsync("/grpc.health.v1.Health/Check", compressed, compressedFlag: 1, encoding: "gzip");

        Assert.True(status == ResourceExhausted, $"grpc-status {status?.ToString() ?? "none"} ({message}) for a {compressed.Length}-byte gzip frame of {inflated.Length} bytes");
    }

    [Fact]
    public async Task HealthCheck_SmallGzipMessage_NoToken_IsRefusedToo()
    {
        // Deny by default: nothing an anonymous caller sends needs compression (a Join is a few
        // KiB), so a compressed anonymous message is refused whatever it inflates to.
        var compressed = Gzip(UnknownField(64));

        var (status, message) = await CallAsync("/grpc.health.v1.Health/Check", compressed, compressedFlag: 1, encoding: "gzip");

        Assert.True(status == ResourceExhausted, $"grpc-status {status?.ToString() ?? "none"} ({message})");
    }

    [Fact]
    public async Task HealthCheck_Uncompressed_WithGzipAccepted_StillWorks()
    {
        // A client that merely offers gzip (grpc-accept-encoding) or names it but sends flag 0.
        var (status, message) = await CallAsync("/grpc.health.v1.Health/Check", [], compressedFlag: 0, encoding: "gzip");

        Assert.True(status == 0, $"grpc-status {status?.ToString() ?? "none"} ({message})");
    }

    [Fact]
    public async Task AdminRpc_GzipFrameInflatingPastTheServicesOwnCap_IsRefused()
    {
        // gRPC's MaxReceiveMessageSize (4 MiB here; 64 KiB for agents, 256 KiB for builders)
        // must hold for what a message inflates to, not only for its frame: a node's agent is
        // authenticated but may be hostile, and the same path serves it.
        var inflated = UnknownField(8 * 1024 * 1024);
        var compressed = Gzip(inflated);

        var (status, message) = await CallAsync("/cluster.admin.v1.Nodes/ListNodes", compressed, compressedFlag: 1, encoding: "gzip", bearer: _leader.AdminToken);

        Assert.True(status is not null and not 0, $"grpc-status {status?.ToString() ?? "none"} ({message}) for a {compressed.Length}-byte gzip frame of {inflated.Length} bytes");
    }

    private async Task<(int? Status, string Message)> CallAsync(string path, byte[] body, byte compressedFlag, string encoding, string? bearer = null)
    {
        var fingerprint = _leader.CaFingerprint;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is X509Certificate2 leaf && PinnedCa.Validator(fingerprint)(leaf, chain, errors);
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var framed = new byte[5 + body.Length];
        framed[0] = compressedFlag;
        BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), body.Length);
        body.CopyTo(framed.AsSpan(5));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{_leader.Address}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + bearer);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        var message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
        return (status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), message is null ? "" : Uri.UnescapeDataString(message));
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    // A protobuf message holding only field 1000 (unknown to every request) of `bytes` bytes in all.
    private static byte[] UnknownField(int bytes)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(new byte[bytes - 8]));
        }

        return buffer.ToArray();
    }
}
