using System.Formats.Tar;

namespace Cluster.Core.Docker;

// A Docker build context: an in-memory tar of files, as the engine's /build endpoint expects.
public sealed class BuildContext
{
    private readonly List<(string Path, byte[] Content, UnixFileMode Mode)> _files = [];

    public BuildContext Add(string path, byte[] content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(content);
        _files.Add((path, content, mode));
        return this;
    }

    public BuildContext AddText(string path, string content) => Add(path, System.Text.Encoding.UTF8.GetBytes(content));

    public BuildContext AddFile(string path, string sourceFile, UnixFileMode? mode = null) =>
        Add(path, File.ReadAllBytes(sourceFile), mode ?? File.GetUnixFileMode(sourceFile));

    public MemoryStream ToTar()
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content, mode) in _files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = mode,
                    DataStream = new MemoryStream(content, writable: false),
                };
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }
}
