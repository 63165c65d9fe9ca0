using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Cluster.Core.Files;

// Files only their owner may read: keys, tokens, node identities, the operator's docker CLI
// config. Guarantees, for every write:
// - the content goes to a FRESH temp name in the same directory, created exclusively
//   (O_CREAT|O_EXCL: if anything, a symlink included, already sits at that name the write
//   fails instead of following it), with its final mode set on the open handle, so a secret
//   is never readable by others, not even for an instant;
// - the temp file is fsynced, renamed over the target (rename replaces a symlink at the target
//   itself, never writes through it), and the directory is fsynced, so after a crash the
//   target holds the old content or the new, never half, and the rename is durable.
public static class PrivateFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = OwnerOnly)
    {
        var target = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = mode }))
            {
                // The umask may have narrowed the create mode; fchmod on the handle, not the path.
                File.SetUnixFileMode(stream.SafeFileHandle, mode);
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        SyncDirectory(directory);
    }

    public static void WriteText(string path, string content, UnixFileMode mode = OwnerOnly) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public static void Delete(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }

    // fsync(2) on the directory makes a rename or unlink in it durable. .NET cannot open a
    // directory as a stream, hence libc.
    public static void SyncDirectory(string directory) => Sync(directory);

    // fsync(2) of a file or directory another component wrote (e.g. the database).
    public static void Sync(string path)
    {
        var fd = NativeMethods.open(System.Text.Encoding.UTF8.GetBytes(path + "\0"), 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (NativeMethods.fsync(fd) != 0)
            {
                throw new IOException($"cannot sync {path} to disk (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temp name is random and owner-only; the original error matters.
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable CA1401, SYSLIB1054 // private; byte[] path needs no marshalling or unsafe code
        internal static extern int open(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int fd);
#pragma warning restore CA1401, SYSLIB1054
    }
}
