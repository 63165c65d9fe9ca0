using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Security;

namespace Cluster.Leader.Tests.Support;

// gRPC calls as raw HTTP/2 requests, so the request path is exactly the string the test sends
// (a gRPC client library would build it from the descriptor and never send a variant). The
// body is one framed empty message; the result is the HTTP status and the grpc-status and
// grpc-message from the trailers (or from the headers of a trailers-only response).
public sealed class RawGrpc : IDisposable
{
    private static readonly byte[] EmptyMessage = [0, 0, 0, 0, 0];
    private readonly HttpClient _http;
    private readonly string _baseAddress;

    private RawGrpc(HttpMessageHandler handler, string baseAddress)
    {
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        _baseAddress = baseAddress;
    }

    // TLS to a leader whose CA has this fingerprint (PinnedCa, as clusterctl does).
    public static RawGrpc Tls(string address, string caFingerprint)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is X509Certificate2 leaf && PinnedCa.Validator(caFingerprint)(leaf, chain, errors);
        return new RawGrpc(handler, $"https://{address}");
    }

    // HTTP/2 with prior knowledge, for in-process hosts without TLS.
    public static RawGrpc Cleartext(string address) => new(new SocketsHttpHandler(), $"http://{address}");

    public Task<RawGrpcResult> CallAsync(string path, string? bearer) => SendFramedAsync(path, bearer, EmptyMessage);

    // One framed protobuf message: flag 0 (uncompressed), 4-byte big-endian length, bytes.
    public Task<RawGrpcResult> CallAsync(string path, string? bearer, Google.Protobuf.IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return CallAsync(path, bearer, Google.Protobuf.MessageExtensions.ToByteArray(message).AsMemory());
    }

    // One framed message of exactly these bytes (which need not parse as the rpc's request).
    public Task<RawGrpcResult> CallAsync(string path, string? bearer, ReadOnlyMemory<byte> body)
    {
        var framed = new byte[5 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), body.Length);
        body.Span.CopyTo(framed.AsSpan(5));
        return SendFramedAsync(path, bearer, framed);
    }

    private async Task<RawGrpcResult> SendFramedAsync(string path, string? bearer, byte[] framed)
    {
        // No canonicalization: percent-encodings and doubled slashes reach the server as written.
        var uri = new Uri(_baseAddress + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + bearer);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
        var message = Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message");
        return new RawGrpcResult(path, (int)response.StatusCode, status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            message is null ? "" : Uri.UnescapeDataString(message));
    }

    public void Dispose() => _http.Dispose();

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
