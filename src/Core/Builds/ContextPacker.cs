using System.Formats.Tar;

namespace Cluster.Core.Builds;

// Packs a folder as a Docker build context, the way the docker CLI does for `docker build DIR`:
//  - what `.dockerignore` in the folder excludes stays out (DockerIgnore's rules), except the
//    Dockerfile and .dockerignore themselves, which the engine needs and are always sent;
//  - symbolic links are sent as links, never followed, so nothing outside the folder can get
//    in through one (the folder itself may be given through a link);
//  - owner and group are 0 in the archive (as the docker CLI sets them), modes and
//    modification times are the files' own;
//  - only regular files, directories and symbolic links are packed: a FIFO, socket or device
//    file is refused, naming it, unless .dockerignore leaves it out;
//  - the tar never grows past `maxBytes`: packing stops there (ContextException, TooLarge).
// The same folder packs to the same bytes, so its sha256 names its content.
public static class ContextPacker
{
    private const string DockerIgnoreFile = ".dockerignore";

    // Writes the tar of `folder` to `destination` (left open) and says what it holds.
    // Errors (ContextException): the folder is not a directory, the Dockerfile is missing or
    // outside it, a special file, the cap.
    public static PackedContext Pack(string folder, string dockerfile, Stream destination, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(destination);
        var root = Root(folder);
        dockerfile = string.IsNullOrWhiteSpace(dockerfile) ? "Dockerfile" : dockerfile.Trim();
        var dockerfilePath = Path.GetFullPath(Path.Combine(root, dockerfile));
        if (!Inside(root, dockerfilePath) || dockerfilePath == root)
        {
            throw new ContextException($"the Dockerfile path '{dockerfile}' points outside the build context");
        }

        if (!File.Exists(dockerfilePath))
        {
            throw new ContextException($"no Dockerfile at '{dockerfile}' in {folder}");
        }

        var ignoreFile = Path.Combine(root, DockerIgnoreFile);
        var ignore = File.Exists(ignoreFile) ? DockerIgnore.Parse(File.ReadAllText(ignoreFile)) : DockerIgnore.Empty;
        var alwaysSent = new HashSet<string>(StringComparer.Ordinal) { Relative(root, dockerfilePath), DockerIgnoreFile };
        var count = 0;
        using var counted = new ContextStream(destination, maxBytes, leaveOpen: true);
        using (var writer = new TarWriter(counted, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (entry, relative) in Walk(root, root, ignore, alwaysSent))
            {
                Write(writer, counted, entry, relative);
                count++;
            }
        }

        return new PackedContext(count, counted.BytesWritten, counted.Sha256());
    }

    // The folder as a full path; a link to a directory is resolved (as `docker build LINK` does),
    // anything else that is not a directory is refused.
    private static string Root(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full))
        {
            throw new ContextException($"{folder} is a file, not a directory: give the folder that holds the Dockerfile");
        }

        if (!Directory.Exists(full))
        {
            throw new ContextException($"{folder}: no such directory");
        }

        var info = new DirectoryInfo(full);
        return info.LinkTarget is null ? full : Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)!.FullName);
    }

    private static void Write(TarWriter writer, ContextStream counted, FileSystemInfo info, string relative)
    {
        if (info.LinkTarget is { } target)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, relative) { LinkName = target, ModificationTime = info.LastWriteTimeUtc, Mode = Mode(info), Uid = 0, Gid = 0 });
            return;
        }

        if (info is DirectoryInfo)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, relative) { ModificationTime = info.LastWriteTimeUtc, Mode = Mode(info), Uid = 0, Gid = 0 });
            return;
        }

        var file = (FileInfo)info;
        if (file.Length == 0)
        {
            RefuseSpecial(file, relative);
        }

        if (counted.BytesWritten + file.Length > counted.MaxBytes)
        {
            throw new ContextException($"the build context is larger than {ContextStream.Size(counted.MaxBytes)} (at '{relative}', {ContextStream.Size(file.Length)})", tooLarge: true);
        }

        using var data = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, relative) { DataStream = data, ModificationTime = file.LastWriteTimeUtc, Mode = Mode(info), Uid = 0, Gid = 0 });
    }

    // .NET tells regular files from FIFOs, sockets and devices only through TarWriter's own
    // lstat; those all have size 0, so only empty files are asked (a header, no data is read,
    // and opening a FIFO, which would block, never happens).
    private static void RefuseSpecial(FileInfo file, string relative)
    {
        TarEntryType type;
        try
        {
            using var probe = new MemoryStream();
            using (var writer = new TarWriter(probe, TarEntryFormat.Pax, leaveOpen: true))
            {
                writer.WriteEntry(file.FullName, "probe");
            }

            probe.Position = 0;
            using var reader = new TarReader(probe);
            type = reader.GetNextEntry()?.EntryType ?? TarEntryType.RegularFile;
        }
        catch (IOException)
        {
            // TarWriter refuses sockets.
            throw new ContextException($"'{relative}' is a socket; a build context holds regular files, directories and symbolic links only: add it to .dockerignore");
        }

        var what = type switch
        {
            TarEntryType.Fifo => "a FIFO",
            TarEntryType.CharacterDevice => "a character device",
            TarEntryType.BlockDevice => "a block device",
            TarEntryType.RegularFile or TarEntryType.V7RegularFile => null,
            _ => $"a {type} entry",
        };
        if (what is not null)
        {
            throw new ContextException($"'{relative}' is {what}; a build context holds regular files, directories and symbolic links only: add it to .dockerignore");
        }
    }

    private static UnixFileMode Mode(FileSystemInfo info) =>
        info.LinkTarget is not null ? (UnixFileMode)0x1FF : File.GetUnixFileMode(info.FullName);

    private static IEnumerable<(FileSystemInfo Entry, string Relative)> Walk(string root, string dir, DockerIgnore ignore, HashSet<string> alwaysSent)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var relative = Relative(root, entry.FullName);
            var excluded = ignore.IsExcluded(relative) && !alwaysSent.Contains(relative);
            var isDirectory = entry is DirectoryInfo && entry.LinkTarget is null;
            if (isDirectory)
            {
                if (!excluded)
                {
                    yield return (entry, relative);
                }

                // An excluded directory may still hold re-included files ("!dir/keep").
                if (!excluded || ignore.HasExceptions || alwaysSent.Any(a => a.StartsWith(relative + "/", StringComparison.Ordinal)))
                {
                    foreach (var child in Walk(root, entry.FullName, ignore, alwaysSent))
                    {
                        yield return child;
                    }
                }
            }
            else if (!excluded)
            {
                yield return (entry, relative);
            }
        }
    }

    private static string Relative(string root, string full) => Path.GetRelativePath(root, full).Replace('\\', '/');

    private static bool Inside(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
}
