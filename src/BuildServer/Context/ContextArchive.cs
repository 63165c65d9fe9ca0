using System.Formats.Tar;
using Cluster.BuildServer.Jobs;

namespace Cluster.BuildServer.Context;

// The build context as the engine's /build endpoint takes it: a tar of the context directory,
// without what .dockerignore excludes. Like the docker CLI, the Dockerfile and .dockerignore are
// always sent (the engine needs the Dockerfile even when it is ignored). Symbolic links are sent
// as links, never followed, so a link cannot pull files from outside the checkout into the image.
internal static class ContextArchive
{
    // Writes the tar to `tarFile` and returns how many files it holds.
    public static int Write(string contextDir, string dockerfile, string tarFile)
    {
        var root = Path.GetFullPath(contextDir);
        if (!Directory.Exists(root))
        {
            throw new BuildFailure("context", $"the build context directory '{contextDir}' does not exist in this commit");
        }

        var dockerfilePath = Path.GetFullPath(Path.Combine(root, dockerfile));
        if (!Inside(root, dockerfilePath))
        {
            throw new BuildFailure("context", $"--dockerfile '{dockerfile}' points outside the build context");
        }

        if (!File.Exists(dockerfilePath))
        {
            throw new BuildFailure("context", $"no Dockerfile at '{dockerfile}' in the build context; check --dockerfile and --context");
        }

        var ignoreFile = Path.Combine(root, ".dockerignore");
        var ignore = File.Exists(ignoreFile) ? DockerIgnore.Parse(File.ReadAllText(ignoreFile)) : DockerIgnore.Empty;
        var alwaysSent = new HashSet<string>(StringComparer.Ordinal) { Relative(root, dockerfilePath), ".dockerignore" };
        var count = 0;
        using var stream = File.Create(tarFile);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false);
        foreach (var (full, relative) in Walk(root, root, ignore, alwaysSent))
        {
            writer.WriteEntry(full, relative);
            count++;
        }

        return count;
    }

    private static IEnumerable<(string Full, string Relative)> Walk(string root, string dir, DockerIgnore ignore, HashSet<string> alwaysSent)
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
                    yield return (entry.FullName, relative);
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
                yield return (entry.FullName, relative);
            }
        }
    }

    private static string Relative(string root, string full) => Path.GetRelativePath(root, full).Replace('\\', '/');

    private static bool Inside(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
}
