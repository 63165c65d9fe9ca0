using Cluster.Core.Files;

namespace Cluster.Core.Tests.Files;

public sealed class PrivateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-privatefile-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A link planted where the old code put its temp file (PATH.tmp, opened with O_CREAT and
    // followed) made it write the secret into the link's target.
    [Fact]
    public void Write_SymlinkPlantedAtOldTempName_IsNeverWrittenThrough()
    {
        var victim = Path.Combine(_dir, "victim");
        File.WriteAllText(victim, "original");
        var path = Path.Combine(_dir, "admin.token");
        File.CreateSymbolicLink(path + ".tmp", victim);

        PrivateFile.WriteText(path, "secret");

        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Equal("secret", File.ReadAllText(path));
    }

    [Fact]
    public void Write_TargetIsSymlink_ReplacesTheLinkNotItsTarget()
    {
        var victim = Path.Combine(_dir, "victim");
        File.WriteAllText(victim, "original");
        var path = Path.Combine(_dir, "ca.key");
        File.CreateSymbolicLink(path, victim);

        PrivateFile.WriteText(path, "secret");

        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("secret", File.ReadAllText(path));
    }

    [Fact]
    public void Write_OverWiderFile_EndsOwnerOnlyWithNoTempLeft()
    {
        var path = Path.Combine(_dir, "join.token");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, PrivateFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        PrivateFile.WriteText(path, "new");
        PrivateFile.WriteText(path, "newer");

        Assert.Equal("newer", File.ReadAllText(path));
        Assert.Equal(PrivateFile.OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal(["join.token"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_ExplicitWiderMode_IsKeptExactly()
    {
        var path = Path.Combine(_dir, "ca.crt");
        var readable = PrivateFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

        PrivateFile.WriteText(path, "cert", readable);

        Assert.Equal(readable, File.GetUnixFileMode(path));
    }

    [Fact]
    public void SyncDirectory_MissingDirectory_SaysWhich()
    {
        var missing = Path.Combine(_dir, "nope");

        var e = Assert.Throws<IOException>(() => PrivateFile.SyncDirectory(missing));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }
}
