using System.Security.Cryptography;
using Cluster.BuildServer.Context;
using Cluster.BuildServer.Jobs;
using Cluster.Core.Builds;
using Cluster.Protos.Build.V1;
using Cluster.Testing;

namespace Cluster.BuildServer.Tests.Context;

// The builder's side of an uploaded folder, before any build: the tar arrives through the same
// delegate the session wires to BuildDispatcher/FetchContext, lands in the job directory, and is
// checked against the job (size, sha256) and entry by entry. The hostile archives are made by
// GNU tar itself (-P keeps absolute and `..` names), as someone crafting one would; the docker
// build of an accepted one is the lab's (tests/Lab.Tests/Builds/FromDirTests.cs).
public sealed class ReceivedContextTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("received-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Receive_FolderPackedByClusterctlsPacker_IsAcceptedIntoTheJobDir()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\nCOPY app.txt /\n");
        Write(src, "app.txt", "app");
        var tar = Path.Combine(_dir, "upload.tar");
        PackedContext packed;
        await using (var file = File.Create(tar))
        {
            packed = ContextPacker.Pack(src, "Dockerfile", file, 1 << 20);
        }

        var received = Path.Combine(_dir, "context.tar");
        var entries = await ReceivedContext.ReceiveAsync(Expected(tar), "Dockerfile", From(tar), received, CancellationToken.None);

        Assert.Equal(packed.Entries, entries);
        Assert.Equal(File.ReadAllBytes(tar), File.ReadAllBytes(received));
    }

    [Fact]
    public async Task Receive_GnuTarOfAFolder_IsAccepted()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        Write(src, "lib/a.txt", "a");
        var tar = await GnuTarAsync("good.tar", "-C", src, "-cf", "{tar}", ".");

        var entries = await ReceivedContext.ReceiveAsync(Expected(tar), "Dockerfile", From(tar), Path.Combine(_dir, "context.tar"), CancellationToken.None);

        Assert.Equal(3, entries);
    }

    [Fact]
    public async Task Receive_AbsoluteEntryFromGnuTar_IsRefusedAtStageContext()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        var tar = await GnuTarAsync("absolute.tar", "-C", src, "-cPf", "{tar}", "Dockerfile", Path.Combine(src, "Dockerfile"));

        var refused = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(Expected(tar), "Dockerfile", From(tar), Path.Combine(_dir, "context.tar"), CancellationToken.None));

        Assert.Equal("context", refused.Stage);
        Assert.Contains("is an absolute path", refused.Message, StringComparison.Ordinal);
        Assert.Contains("was refused", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_DotDotEntryFromGnuTar_IsRefused()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        Write(_dir, "escape.txt", "out");
        var tar = await GnuTarAsync("dotdot.tar", "-C", src, "-cPf", "{tar}", "Dockerfile", "../escape.txt");

        var refused = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(Expected(tar), "Dockerfile", From(tar), Path.Combine(_dir, "context.tar"), CancellationToken.None));

        Assert.Contains("'../escape.txt' has a '..' component", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_CharacterDeviceFromGnuTar_IsRefused()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        var tar = await GnuTarAsync("device.tar", "-cf", "{tar}", "-C", src, "Dockerfile", "-C", "/dev", "null");

        var refused = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(Expected(tar), "Dockerfile", From(tar), Path.Combine(_dir, "context.tar"), CancellationToken.None));

        Assert.Contains("'null' is a character device", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_BytesThatDoNotMatchTheJob_AreRefused()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        var tar = await GnuTarAsync("good.tar", "-C", src, "-cf", "{tar}", ".");
        var expected = Expected(tar);

        var damaged = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(
            new UploadedContext { Name = "src", SizeBytes = expected.SizeBytes, Sha256 = new string('0', 64) }, "Dockerfile", From(tar), Path.Combine(_dir, "a.tar"), CancellationToken.None));
        var longer = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(
            new UploadedContext { Name = "src", SizeBytes = expected.SizeBytes - 1, Sha256 = expected.Sha256 }, "Dockerfile", From(tar), Path.Combine(_dir, "b.tar"), CancellationToken.None));
        var shorter = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(
            new UploadedContext { Name = "src", SizeBytes = expected.SizeBytes + 1, Sha256 = expected.Sha256 }, "Dockerfile", From(tar), Path.Combine(_dir, "c.tar"), CancellationToken.None));
        var broken = await Assert.ThrowsAsync<BuildFailure>(() => ReceivedContext.ReceiveAsync(
            expected, "Dockerfile", (_, _) => throw new IOException("NotFound: the uploaded folder of job 'b1' is gone"), Path.Combine(_dir, "d.tar"), CancellationToken.None));

        Assert.Contains("arrived damaged", damaged.Message, StringComparison.Ordinal);
        Assert.Contains("sent more than", longer.Message, StringComparison.Ordinal);
        Assert.Contains("arrived incomplete", shorter.Message, StringComparison.Ordinal);
        Assert.Contains("could not fetch the uploaded folder 'src' from the leader: NotFound", broken.Message, StringComparison.Ordinal);
        Assert.All(new[] { damaged, longer, shorter, broken }, f => Assert.Equal("context", f.Stage));
    }

    private static UploadedContext Expected(string tar)
    {
        var bytes = File.ReadAllBytes(tar);
        return new UploadedContext { Name = "src", SizeBytes = bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) };
    }

    // As the session does it: the bytes written, in order, to the stream it is given.
    private static Func<Stream, CancellationToken, Task> From(string tar) => async (destination, ct) =>
    {
        await using var source = File.OpenRead(tar);
        await source.CopyToAsync(destination, 1 << 16, ct);
    };

    private async Task<string> GnuTarAsync(string name, params string[] args)
    {
        var tar = Path.Combine(_dir, name);
        var result = await ProcessRunner.RunAsync("tar", args.Select(a => a == "{tar}" ? tar : a), TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        return tar;
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;

    private static void Write(string root, string path, string text)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
