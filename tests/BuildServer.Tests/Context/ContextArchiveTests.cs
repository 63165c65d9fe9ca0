using System.Formats.Tar;
using Cluster.BuildServer.Context;
using Cluster.BuildServer.Jobs;

namespace Cluster.BuildServer.Tests.Context;

public sealed class ContextArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("context-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_WithDockerignore_SendsOnlyWhatIsNotIgnoredAndAlwaysTheDockerfile()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        Write(src, "Dockerfile", "FROM scratch\n");
        Write(src, ".dockerignore", "Dockerfile\nsecrets/\n*.log\n!keep.log\n");
        Write(src, "app.txt", "app");
        Write(src, "debug.log", "noise");
        Write(src, "keep.log", "kept");
        Write(src, "secrets/key.pem", "PRIVATE");
        Write(src, "lib/util.txt", "util");
        File.CreateSymbolicLink(Path.Combine(src, "passwd-link"), "/etc/passwd");

        var tar = Path.Combine(_dir, "context.tar");
        ContextArchive.Write(src, "Dockerfile", tar);

        var entries = Entries(tar);
        Assert.Contains("Dockerfile", entries.Keys);
        Assert.Contains(".dockerignore", entries.Keys);
        Assert.Contains("app.txt", entries.Keys);
        Assert.Contains("keep.log", entries.Keys);
        Assert.Contains("lib/util.txt", entries.Keys);
        Assert.DoesNotContain("debug.log", entries.Keys);
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("secrets", StringComparison.Ordinal));
        // A link is sent as a link, never as the file it points to.
        Assert.Equal(TarEntryType.SymbolicLink, entries["passwd-link"]);
    }

    [Fact]
    public void Write_DockerfileMissingOrOutside_FailsAtContextStageNamingIt()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        Write(src, "app.txt", "app");

        var missing = Assert.Throws<BuildFailure>(() => ContextArchive.Write(src, "docker/Dockerfile", Path.Combine(_dir, "a.tar")));
        var outside = Assert.Throws<BuildFailure>(() => ContextArchive.Write(src, "../Dockerfile", Path.Combine(_dir, "b.tar")));

        Assert.Equal("context", missing.Stage);
        Assert.Contains("docker/Dockerfile", missing.Message, StringComparison.Ordinal);
        Assert.Contains("outside", outside.Message, StringComparison.Ordinal);
    }

    private static void Write(string root, string path, string text)
    {
        var full = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }

    private static Dictionary<string, TarEntryType> Entries(string tar)
    {
        using var stream = File.OpenRead(tar);
        using var reader = new TarReader(stream);
        var entries = new Dictionary<string, TarEntryType>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            entries[entry.Name.TrimEnd('/')] = entry.EntryType;
        }

        return entries;
    }
}
