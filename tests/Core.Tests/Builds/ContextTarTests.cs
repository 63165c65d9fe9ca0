using System.Formats.Tar;
using System.Text;
using Cluster.Core.Builds;

namespace Cluster.Core.Tests.Builds;

// The receiving side's rules for a tar someone else packed (the leader on upload, the builder
// before building): entry paths are never trusted.
public sealed class ContextTarTests
{
    [Fact]
    public void Check_PlainContextWithDotSlashNamesAndLinks_IsAcceptedAndCounted()
    {
        var tar = Tar(
            Dir("./"),
            File("./Dockerfile", "FROM scratch\n"),
            Dir("./app"),
            File("./app/main.sh", "echo hi"),
            Link("./app/current", "/etc/passwd"),
            Hard("./app/again.sh", "app/main.sh"));

        Assert.Equal(5, ContextTar.Check(tar, "Dockerfile"));
    }

    [Theory]
    [InlineData("/etc/cron.d/evil", "absolute path")]
    [InlineData("../outside", "'..' component")]
    [InlineData("app/../../outside", "'..' component")]
    [InlineData("./..", "'..' component")]
    public void Check_UnsafeEntryPath_IsRefusedNamingIt(string name, string why)
    {
        var tar = Tar(File("Dockerfile", "FROM scratch\n"), File(name, "x"));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(tar, "Dockerfile"));

        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
        Assert.Contains(name, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice, "a character device")]
    [InlineData(TarEntryType.BlockDevice, "a block device")]
    [InlineData(TarEntryType.Fifo, "a FIFO")]
    public void Check_DeviceOrFifo_IsRefused(TarEntryType type, string what)
    {
        var tar = Tar(File("Dockerfile", "FROM scratch\n"), new PaxTarEntry(type, "dev/thing"));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(tar, "Dockerfile"));

        Assert.Contains($"'dev/thing' is {what}", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/shadow", "absolute path")]
    [InlineData("../x", "'..' component")]
    [InlineData("not-there", "not a regular file earlier in the archive")]
    public void Check_HardLinkLeavingTheArchive_IsRefused(string target, string why)
    {
        var tar = Tar(File("Dockerfile", "FROM scratch\n"), Hard("copy", target));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(tar, "Dockerfile"));

        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_EntryBelowASymbolicLink_IsRefused()
    {
        var tar = Tar(File("Dockerfile", "FROM scratch\n"), Link("etc", "/etc"), File("etc/cron.d/evil", "* * * * * root sh"));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(tar, "Dockerfile"));

        Assert.Contains("'etc/cron.d/evil' lies below the symbolic link 'etc'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NoDockerfileAtThePath_IsRefused()
    {
        var tar = Tar(File("Dockerfile", "FROM scratch\n"), Dir("docker"));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(tar, "docker/Dockerfile"));

        Assert.Contains("no Dockerfile at 'docker/Dockerfile'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NotATar_IsRefused()
    {
        using var garbage = new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 2048)));

        var refused = Assert.Throws<ContextException>(() => ContextTar.Check(garbage, "Dockerfile"));

        Assert.Contains("not a valid tar archive", refused.Message, StringComparison.Ordinal);
    }

    private static MemoryStream Tar(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry File(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    private static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name);

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private static PaxTarEntry Hard(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };
}
