using System.Formats.Tar;

namespace Cluster.Core.Builds;

// The rules a received build context (a tar someone else packed) must pass before anything
// builds it; entry paths are never trusted. Refused, naming the entry:
//  - an absolute path, or a `..` component anywhere in a path;
//  - a character or block device, a FIFO, or any entry type other than regular file,
//    directory, symbolic link and hard link (PAX and GNU long-name records are read as part of
//    the entry they describe);
//  - a hard link whose target is not a regular file earlier in the archive;
//  - an entry below a symbolic link of the same archive ("link/x" after "link -> /etc"), the
//    way an extraction would write outside its directory. Symbolic links themselves may point
//    anywhere: nothing here follows them, and the engine resolves them inside the context;
//  - no regular file at the Dockerfile path;
//  - anything that is not a tar archive, and more than MaxEntries entries.
public static class ContextTar
{
    public const int MaxEntries = 1_000_000;

    // Reads the whole archive from `tar` (left open) and returns how many entries it holds;
    // throws ContextException on the first rule broken.
    public static int Check(Stream tar, string dockerfile)
    {
        ArgumentNullException.ThrowIfNull(tar);
        var wanted = Clean(string.IsNullOrWhiteSpace(dockerfile) ? "Dockerfile" : dockerfile.Trim());
        var files = new HashSet<string>(StringComparer.Ordinal);
        var links = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        try
        {
            using var reader = new TarReader(tar, leaveOpen: true);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                var name = SafePath(entry.Name, "entry");
                if (name.Length == 0)
                {
                    // "./": the context root itself, not counted.
                    if (entry.EntryType != TarEntryType.Directory)
                    {
                        throw new ContextException($"the archive entry '{Shown(entry.Name)}' has no name");
                    }

                    continue;
                }

                if (++count > MaxEntries)
                {
                    throw new ContextException($"the archive holds more than {MaxEntries} entries");
                }

                foreach (var parent in Parents(name))
                {
                    if (links.Contains(parent))
                    {
                        throw new ContextException($"the archive entry '{Shown(name)}' lies below the symbolic link '{Shown(parent)}': it would be written wherever the link points");
                    }
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        files.Add(name);
                        links.Remove(name);
                        break;
                    case TarEntryType.Directory:
                        files.Remove(name);
                        links.Remove(name);
                        break;
                    case TarEntryType.SymbolicLink:
                        files.Remove(name);
                        links.Add(name);
                        break;
                    case TarEntryType.HardLink:
                        var target = SafePath(entry.LinkName, $"hard link '{Shown(name)}' target");
                        if (!files.Contains(target))
                        {
                            throw new ContextException($"the archive entry '{Shown(name)}' is a hard link to '{Shown(entry.LinkName)}', which is not a regular file earlier in the archive");
                        }

                        files.Add(name);
                        links.Remove(name);
                        break;
                    default:
                        throw new ContextException($"the archive entry '{Shown(name)}' is {Describe(entry.EntryType)}; a build context may hold regular files, directories and links only");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new ContextException($"not a valid tar archive ({e.Message})", e);
        }

        if (!files.Contains(wanted))
        {
            throw new ContextException($"no Dockerfile at '{Shown(wanted)}' in the archive; check --dockerfile");
        }

        return count;
    }

    // The path with "./" prefixes, "." components and a trailing "/" removed; refused when
    // absolute or holding "..".
    private static string SafePath(string path, string what)
    {
        if (path.StartsWith('/'))
        {
            throw new ContextException($"the archive's {what} '{Shown(path)}' is an absolute path");
        }

        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
        {
            throw new ContextException($"the archive's {what} '{Shown(path)}' has a '..' component");
        }

        return string.Join('/', parts);
    }

    private static string Clean(string path) => string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));

    private static IEnumerable<string> Parents(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => "a character device",
        TarEntryType.BlockDevice => "a block device",
        TarEntryType.Fifo => "a FIFO",
        _ => $"of type {type}",
    };

    // Entry names come from someone else: shown shortened and without control characters.
    private static string Shown(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length <= 200 ? clean : clean[..200] + "…";
    }
}
