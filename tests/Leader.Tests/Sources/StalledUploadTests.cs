using System.Security.Cryptography;
using Cluster.Leader.Tests.Support;
using Cluster.Protos.Admin.V1;
using Cluster.Protos.Join.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Sources;

// `deploy --from-dir` uploads that stall, against the leader in-process on a fake clock (with a
// builder session from a real node certificate, so uploads are taken): four uploads that send
// their header and a first chunk and then nothing hold every upload slot, so a fifth is refused;
// with --upload-idle-timeout 2 each stalled one is ended once 2 s of the leader's clock pass
// without a chunk (not before), with an error naming the upload and what to do, and the next
// upload gets a slot and is kept.
public sealed class StalledUploadTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private InProcessLeader _leader = null!;
    private BuilderSessionClient _builder = null!;

    public async Task InitializeAsync()
    {
        _leader = await InProcessLeader.StartAsync(_time, "--upload-idle-timeout", "2");
        var (node, _) = await NodeEnrollment.JoinAsync(_leader, "builder-1", role: Role.Builder);
        _builder = await BuilderSessionClient.OpenAsync(_leader, node);
        await _leader.CreateAppAsync(new CreateAppRequest { Name = "web", FromDir = true });
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
        var endedEarly = stalled.Count(c => c.ResponseAsync.IsCompleted);
        // The leader's clock moves on in steps until every stalled upload ended (each one's idle
        // timer starts when the leader has read its chunk, which the test does not see).
        var advanced = TimeSpan.Zero;
        while (!stalled.All(c => c.ResponseAsync.IsCompleted) && advanced < TimeSpan.FromSeconds(20))
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            advanced += TimeSpan.FromMilliseconds(500);
            await Task.WhenAny(Task.WhenAll(stalled.Select(c => c.ResponseAsync)), Task.Delay(50));
        }

        var ended = new List<RpcException>();
        foreach (var call in stalled)
        {
            ended.Add(await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync));
            call.Dispose();
        }

        var later = await UploadAsync(client, tar);

        Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
        Assert.Contains("4 uploads are arriving", full.Status.Detail, StringComparison.Ordinal);
        Assert.All(ended, e =>
        {
            Assert.Equal(StatusCode.Aborted, e.StatusCode);
            Assert.Matches(@"upload u[0-9a-f]{15} of app 'web' stalled: nothing arrived for 2 s after 1024 of \d+ bytes", e.Status.Detail);
            Assert.Contains("clusterctl deploy web --from-dir PATH", e.Status.Detail, StringComparison.Ordinal);
        });
        Assert.Equal(0, endedEarly);
        Assert.InRange(advanced, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(19));
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
