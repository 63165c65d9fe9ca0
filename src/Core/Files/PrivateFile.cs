namespace Cluster.Core.Files;

// Files only their owner may read: keys, tokens, node identities, the operator's docker CLI
// config. Each is created with its final mode and renamed into place, so a secret is never
// readable by others, not even for an instant, and a crash leaves the old file or the new one,
// never half.
public static class PrivateFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = OwnerOnly)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }

        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        // An older temp file may have had another mode: FileMode.Create keeps it.
        File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
    }

    public static void WriteText(string path, string content, UnixFileMode mode = OwnerOnly) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public static void Delete(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
