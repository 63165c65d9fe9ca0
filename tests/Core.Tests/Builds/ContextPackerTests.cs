using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using Cluster.Core.Builds;

namespace Cluster.Core.Tests.Builds;

// The packer `clusterctl deploy --from-dir` (and the builder, for git checkouts) uses, on real
// folders on disk: what .dockerignore leaves out, links never followed, special files and the
// cap refused, and the tar it makes passes the receiving side's checks.
public sealed class ContextPackerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("packer-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Pack_WithDockerignore_SendsWhatIsNotIgnoredAndAlwaysTheDockerfile()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        Write(src, ".dockerignore", "# comment\nDockerfile\nsecrets/\n**/*.log\n!keep.log\nnode_modules\n/build/out\n");
        Write(src, "app.txt", "app");
        Write(src, "debug.log", "noise");
        Write(src, "deep/er/trace.log", "noise");
        Write(src, "keep.log", "kept");
        Write(src, "secrets/key.pem", "PRIVATE");
        Write(src, "node_modules/x/index.js", "x");
        Write(src, "build/out/a.o", "o");
        Write(src, "build/src/a.c", "c");
        Write(src, "lib/util.txt", "util");

        var (packed, entries) = PackAndRead(src);

        Assert.Contains("Dockerfile", entries.Keys);
        Assert.Contains(".dockerignore", entries.Keys);
        Assert.Contains("app.txt", entries.Keys);
        Assert.Contains("keep.log", entries.Keys);
        Assert.Contains("lib/util.txt", entries.Keys);
        Assert.Contains("build/src/a.c", entries.Keys);
        Assert.DoesNotContain("debug.log", entries.Keys);
        Assert.DoesNotContain("deep/er/trace.log", entries.Keys);
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("secrets", StringComparison.Ordinal));
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("node_modules", StringComparison.Ordinal));
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("build/out", StringComparison.Ordinal));
        Assert.Equal(entries.Count, packed.Entries);
        Assert.Equal("app", entries["app.txt"].Text);
        // Owner and group 0, as the docker CLI sends a context.
        Assert.All(entries.Values, e => Assert.True(e.Uid == 0 && e.Gid == 0));
    }

    [Fact]
    public void Pack_SymbolicLinksOutOfTheFolder_AreSentAsLinksNeverFollowed()
    {
        var outside = Folder("outside");
        Write(outside, "secret.txt", "OUTSIDE-SECRET");
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        File.CreateSymbolicLink(Path.Combine(src, "passwd-link"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(src, "secret-link"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(src, "outside-dir"), outside);

        var (_, entries) = PackAndRead(src);

        Assert.Equal(TarEntryType.SymbolicLink, entries["passwd-link"].Type);
        Assert.Equal("/etc/passwd", entries["passwd-link"].LinkName);
        Assert.Equal(TarEntryType.SymbolicLink, entries["secret-link"].Type);
        Assert.Equal(TarEntryType.SymbolicLink, entries["outside-dir"].Type);
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("outside-dir/", StringComparison.Ordinal));
        Assert.DoesNotContain(entries.Values, e => e.Text.Contains("OUTSIDE-SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public void Pack_FolderGivenThroughALink_PacksTheFolder()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        var link = Path.Combine(_dir, "link");
        Directory.CreateSymbolicLink(link, src);

        var (_, entries) = PackAndRead(link);

        Assert.Contains("Dockerfile", entries.Keys);
    }

    [Fact]
    public void Pack_NotADirectory_IsRefusedSayingSo()
    {
        var file = Path.Combine(_dir, "Dockerfile");
        File.WriteAllText(file, "FROM scratch\n");

        var isFile = Assert.Throws<ContextException>(() => ContextPacker.Pack(file, "Dockerfile", Stream.Null, 1 << 20));
        var missing = Assert.Throws<ContextException>(() => ContextPacker.Pack(Path.Combine(_dir, "nope"), "Dockerfile", Stream.Null, 1 << 20));

        Assert.Contains("is a file, not a directory", isFile.Message, StringComparison.Ordinal);
        Assert.Contains("no such directory", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_DockerfileMissingOrOutside_IsRefusedNamingIt()
    {
        var src = Folder("src");
        Write(src, "app.txt", "app");

        var missing = Assert.Throws<ContextException>(() => ContextPacker.Pack(src, "docker/Dockerfile", Stream.Null, 1 << 20));
        var outside = Assert.Throws<ContextException>(() => ContextPacker.Pack(src, "../Dockerfile", Stream.Null, 1 << 20));

        Assert.Contains("no Dockerfile at 'docker/Dockerfile'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("outside the build context", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_LargerThanTheCap_StopsThereWithTooLarge()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        File.WriteAllBytes(Path.Combine(src, "big.bin"), new byte[300_000]);
        using var tar = new MemoryStream();

        var refused = Assert.Throws<ContextException>(() => ContextPacker.Pack(src, "Dockerfile", tar, 100_000));

        Assert.True(refused.TooLarge);
        Assert.Contains("larger than 97.7 KiB", refused.Message, StringComparison.Ordinal);
        Assert.True(tar.Length <= 100_000, $"{tar.Length} bytes were written past the cap");
    }

    [Fact]
    public void Pack_Fifo_IsRefusedNamingItUnlessIgnored()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\n");
        Write(src, "empty.txt", "");
        MakeFifo(Path.Combine(src, "pipe"));

        var refused = Assert.Throws<ContextException>(() => ContextPacker.Pack(src, "Dockerfile", Stream.Null, 1 << 20));
        Write(src, ".dockerignore", "pipe\n");
        var (_, entries) = PackAndRead(src);

        Assert.Contains("'pipe' is a FIFO", refused.Message, StringComparison.Ordinal);
        Assert.Contains("empty.txt", entries.Keys);
        Assert.DoesNotContain("pipe", entries.Keys);
    }

    [Fact]
    public void Pack_SameFolderTwice_SameBytesAndTheSha256OfThem_AndPassesTheReceiversChecks()
    {
        var src = Folder("src");
        Write(src, "Dockerfile", "FROM scratch\nCOPY . /app\n");
        Write(src, "a/b/c.txt", "c");
        File.CreateSymbolicLink(Path.Combine(src, "a/link"), "b/c.txt");

        using var first = new MemoryStream();
        using var second = new MemoryStream();
        var one = ContextPacker.Pack(src, "Dockerfile", first, 1 << 20);
        var two = ContextPacker.Pack(src, "Dockerfile", second, 1 << 20);

        Assert.Equal(first.ToArray(), second.ToArray());
        Assert.Equal(one, two);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(first.ToArray())), one.Sha256);
        Assert.Equal(first.Length, one.Bytes);
        first.Position = 0;
        Assert.Equal(one.Entries, ContextTar.Check(first, "Dockerfile"));
    }

    private static (PackedContext Packed, Dictionary<string, Entry> Entries) PackAndRead(string folder)
    {
        using var tar = new MemoryStream();
        var packed = ContextPacker.Pack(folder, "Dockerfile", tar, 1 << 20);
        tar.Position = 0;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } e)
        {
            var text = e.DataStream is null ? "" : new StreamReader(e.DataStream).ReadToEnd();
            entries[e.Name] = new Entry(e.EntryType, e.LinkName, text, e.Uid, e.Gid);
        }

        return (packed, entries);
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;

    private static void Write(string root, string path, string text)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private sealed record Entry(TarEntryType Type, string LinkName, string Text, int Uid, int Gid);
}
