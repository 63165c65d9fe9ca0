using System.Security.Cryptography;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Leader.Tests.Sources;

// `deploy --from-dir` uploads that stall, against the real cluster-leader (with a builder
// session from a real node certificate, so uploads are taken): four uploads that send their
// header and a first chunk and then nothing hold every upload slot, so a fifth is refused; with
// --upload-idle-timeout 2 each stalled one is ended within seconds with an error naming the
// upload and what to do, and the next upload gets a slot and is kept.
public sealed class StalledUploadTests : IAsyncLifetime
{
    private LeaderBinary _leader = null!;
    private BuilderSessionClient _builder = null!;

    public async Task InitializeAsync()
    {
        _leader = await LeaderBinary.StartAsync("--upload-idle-timeout", "2");
        var (node, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);
        _builder = await BuilderSessionClient.OpenAsync(_leader, node);
        var created = await _leader.CtlAsync(null, "app", "create", "web", "--from-dir");
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    public async Task DisposeAsync()
    {
        await _builder.DisposeAsync();
        await _leader.DisposeAsync();
    }

    [Fact]
    public async Task StalledUploads_EndedAfterTheIdleTimeout_AndTheirSlotsGoToLaterUploads()
    {
        var tar = TestTar.Of(("Dockerfile", "FROM scratch\nCOPY app.txt /\n"), ("app.txt", new string('x', 8192)));
        using var channel = NodeEnrollment.Channel(_leader);
        var client = new SourceUploads.SourceUploadsClient(channel);
        var stalled = new List<AsyncClientStreamingCall<UploadChunk, UploadedSource>>();
        for (var i = 0; i < 4; i++)
        {
            var call = client.Upload(Admin(), DateTime.UtcNow.AddMinutes(2));
            await call.RequestStream.WriteAsync(Header(tar));
            await call.RequestStream.WriteAsync(new UploadChunk { Data = ByteString.CopyFrom(tar, 0, 1024) });
            stalled.Add(call);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var full = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(client, tar));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ended = new List<RpcException>();
        foreach (var call in stalled)
        {
            ended.Add(await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync));
            call.Dispose();
        }

        var waited = clock.Elapsed;
        var later = await UploadAsync(client, tar);

        Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
        Assert.Contains("4 uploads are arriving", full.Status.Detail, StringComparison.Ordinal);
        Assert.All(ended, e =>
        {
            Assert.Equal(StatusCode.Aborted, e.StatusCode);
            Assert.Matches(@"upload u[0-9a-f]{15} of app 'web' stalled: nothing arrived for 2 s after 1024 of \d+ bytes", e.Status.Detail);
            Assert.Contains("clusterctl deploy web --from-dir PATH", e.Status.Detail, StringComparison.Ordinal);
        });
        Assert.True(waited < TimeSpan.FromSeconds(20), $"the stalled uploads ended only after {waited}");
        Assert.StartsWith("u", later.UploadId, StringComparison.Ordinal);
        Assert.Equal(tar.Length, later.SizeBytes);
        Assert.Single(Directory.GetFiles(Path.Combine(_leader.DataDir, "uploads")));
    }

    private Metadata Admin() => new() { { "authorization", "Bearer " + _leader.AdminToken } };

    private async Task<UploadedSource> UploadAsync(SourceUploads.SourceUploadsClient client, byte[] tar)
    {
        using var call = client.Upload(Admin(), DateTime.UtcNow.AddMinutes(1));
        try
        {
            await call.RequestStream.WriteAsync(Header(tar));
            await call.RequestStream.WriteAsync(new UploadChunk { Data = ByteString.CopyFrom(tar) });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
        {
            // Refused while sending; the response says why.
        }

        return await call.ResponseAsync;
    }

    private static UploadChunk Header(byte[] tar) => new()
    {
        Header = new UploadHeader { App = "web", Name = "web", SizeBytes = tar.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(tar)) },
    };
}
