using System.Security.Cryptography;
using Cluster.Leader.Operations;
using Cluster.Leader.Sources;
using Cluster.Leader.Tests.Support;
using Cluster.Leader.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Leader.Tests.Sources;

// The leader's store of uploaded folders, in-process on a real directory and a fake clock: what
// is kept (only a whole, matching, safe tar), for how long (until claimed, replaced or
// expired), and that a leader start empties it.
public sealed class SourceUploadStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("uploads-test-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly AppRecord _app = new() { Id = "app1", Name = "web", Source = "dir" };
    private readonly SourceUploadStore _store;

    public SourceUploadStoreTests() => _store = NewStore();

    private string Dir => Path.Combine(_root, "uploads");

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Receive_WholeMatchingTar_IsKeptUntilItsDeploymentClaimsItOnce()
    {
        var tar = Tar(("Dockerfile", "FROM scratch\n"), ("app.txt", "hello"));

        var upload = await ReceiveAsync(tar);
        var claimed = _store.Claim(_app, upload.Id);
        var again = Assert.Throws<OperationException>(() => _store.Claim(_app, upload.Id));

        Assert.Same(upload, claimed);
        Assert.Equal(tar, File.ReadAllBytes(upload.Path));
        Assert.Equal(2, upload.Entries);
        Assert.Equal($"dir:web@sha256:{Sha(tar)}", upload.Source);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(upload.Path));
        Assert.Contains("clusterctl deploy web --from-dir PATH", again.Message, StringComparison.Ordinal);
        claimed.Dispose();
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));
    }

    [Fact]
    public async Task Receive_BytesThatDoNotMatchTheHeader_KeepNothing()
    {
        var tar = Tar(("Dockerfile", "FROM scratch\n"));

        var damaged = await Assert.ThrowsAsync<OperationException>(() => _store.ReceiveAsync(_app, "web", tar.Length, new string('0', 64), Chunks(tar), CancellationToken.None));
        var longer = await Assert.ThrowsAsync<OperationException>(() => _store.ReceiveAsync(_app, "web", tar.Length - 1, Sha(tar), Chunks(tar), CancellationToken.None));
        var shorter = await Assert.ThrowsAsync<OperationException>(() => _store.ReceiveAsync(_app, "web", tar.Length + 1, Sha(tar), Chunks(tar), CancellationToken.None));

        Assert.Contains("arrived damaged", damaged.Message, StringComparison.Ordinal);
        Assert.Contains("sent more than", longer.Message, StringComparison.Ordinal);
        Assert.Contains("ended after", shorter.Message, StringComparison.Ordinal);
        Assert.All(new[] { damaged, longer, shorter }, e => Assert.Equal(OperationError.InvalidArgument, e.Error));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));
    }

    [Fact]
    public async Task Receive_UnsafeArchive_IsRefusedAndNothingKept()
    {
        var tar = Tar(("Dockerfile", "FROM scratch\n"), ("../../etc/cron.d/evil", "* * * * * root sh"));

        var refused = await Assert.ThrowsAsync<OperationException>(() => ReceiveAsync(tar));

        Assert.Contains("the folder's archive was refused", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'..' component", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));
    }

    [Fact]
    public async Task Receive_OverTheCapOrForAnImageApp_IsRefusedBeforeAnyDataIsRead()
    {
        var image = new AppRecord { Id = "app2", Name = "img", Source = "image", Image = "docker.io/library/nginx" };

        var large = await Assert.ThrowsAsync<OperationException>(() => _store.ReceiveAsync(_app, "web", (64 << 10) + 1, new string('a', 64), NeverRead(), CancellationToken.None));
        var wrongApp = await Assert.ThrowsAsync<OperationException>(() => _store.ReceiveAsync(image, "web", 1024, new string('a', 64), NeverRead(), CancellationToken.None));

        Assert.Equal(OperationError.ResourceExhausted, large.Error);
        Assert.Contains("over the leader's limit of 64 KiB", large.Message, StringComparison.Ordinal);
        Assert.Contains("--max-upload-size", large.Message, StringComparison.Ordinal);
        Assert.Equal(OperationError.FailedPrecondition, wrongApp.Error);
        Assert.Contains("clusterctl deploy img [--tag TAG]", wrongApp.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_NewerUploadReplacesTheOlder_AndAnUnclaimedOneExpires()
    {
        var first = await ReceiveAsync(Tar(("Dockerfile", "FROM scratch\n"), ("v", "1")));
        var second = await ReceiveAsync(Tar(("Dockerfile", "FROM scratch\n"), ("v", "2")));

        Assert.False(File.Exists(first.Path));
        Assert.Throws<OperationException>(() => _store.Claim(_app, first.Id));
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(File.Exists(second.Path));
        // The store's own minute timer deletes it once it is past 15 minutes.
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(File.Exists(second.Path));
        Assert.Throws<OperationException>(() => _store.Claim(_app, second.Id));
    }

    [Fact]
    public async Task Return_AClaimNotStarted_WaitsAgain()
    {
        var upload = await ReceiveAsync(Tar(("Dockerfile", "FROM scratch\n")));

        _store.Return(_store.Claim(_app, upload.Id));

        Assert.Same(upload, _store.Claim(_app, upload.Id));
        Assert.True(File.Exists(upload.Path));
    }

    [Fact]
    public async Task NewStore_LikeALeaderStart_DeletesWhatThePreviousRunLeft()
    {
        var upload = await ReceiveAsync(Tar(("Dockerfile", "FROM scratch\n")));
        File.WriteAllText(Path.Combine(Dir, "u0.tar.part"), "half");

        using var restarted = NewStore();

        Assert.False(File.Exists(upload.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Dir));
    }

    // An upload that stops sending is ended after the idle timeout (on the store's clock) with
    // an error naming it and what to do; its slot is free again, so 4 more uploads still fit.
    [Fact]
    public async Task Receive_NothingArrivesForTheIdleTimeout_EndsNamingTheUploadAndFreesItsSlot()
    {
        var tar = Tar(("Dockerfile", "FROM scratch\n"));
        var waiting = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var stalled = waiting.Select(w => _store.ReceiveAsync(_app, "web", tar.Length, Sha(tar), Stalls(tar, w), CancellationToken.None)).ToList();
        var full = await Assert.ThrowsAsync<OperationException>(() => ReceiveAsync(tar));
        await Task.WhenAll(waiting.Select(w => w.Task)).WaitAsync(TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.All(stalled, t => Assert.False(t.IsCompleted));
        _time.Advance(TimeSpan.FromSeconds(1));
        var ended = new List<OperationException>();
        foreach (var task in stalled)
        {
            ended.Add(await Assert.ThrowsAsync<OperationException>(() => task));
        }

        Assert.Equal(OperationError.ResourceExhausted, full.Error);
        Assert.All(ended, e =>
        {
            Assert.Equal(OperationError.Aborted, e.Error);
            Assert.Matches(@"\Aupload u[0-9a-f]{15} of app 'web' stalled: nothing arrived for 120 s after 1000 of \d+ bytes", e.Message);
            Assert.Contains("clusterctl deploy web --from-dir PATH", e.Message, StringComparison.Ordinal);
        });
        Assert.Empty(Directory.EnumerateFileSystemEntries(Dir));
        for (var i = 0; i < 4; i++)
        {
            (await ReceiveAsync(tar)).Dispose();
        }
    }

    private SourceUploadStore NewStore() =>
        new(Dir, new SourceUploadOptions { MaxBytes = 64 << 10 }, _time, NullLogger<SourceUploadStore>.Instance);

    private Task<SourceUpload> ReceiveAsync(byte[] tar) => _store.ReceiveAsync(_app, "web", tar.Length, Sha(tar), Chunks(tar), CancellationToken.None);

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

#pragma warning disable CS1998 // async iterators without awaits: the chunks are in memory
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] bytes)
    {
        for (var offset = 0; offset < bytes.Length; offset += 1000)
        {
            yield return bytes.AsMemory(offset, Math.Min(1000, bytes.Length - offset));
        }
    }

    // The first 1000 bytes, then nothing until cancelled; `waiting` is set once the store asks
    // for the next chunk (its idle timer is running then).
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Stalls(byte[] bytes, TaskCompletionSource waiting, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return bytes.AsMemory(0, 1000);
        waiting.SetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> NeverRead()
    {
        throw new InvalidOperationException("the store read data before refusing the header");
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998

    private static byte[] Tar(params (string Name, string Text)[] files) => TestTar.Of(files);
}
