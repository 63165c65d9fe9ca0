using System.Text;
using System.Text.RegularExpressions;

namespace Cluster.Testing;

// Finds a secret in every regular file under some directories: as plain text, and inside base64
// JSON ("eyJ..."), which is how swarm stores registry auth, so a plain grep would miss it.
// Only regular files are read: a Docker data dir holds containerd's FIFOs, and open(2) on a FIFO
// blocks until a writer appears (the suite once hung there for good). FIFOs, sockets and devices
// have st_size 0 on Linux, and an empty file cannot hold a secret, so size 0 is skipped.
public static partial class SecretScan
{
    public static IReadOnlyList<string> Find(IEnumerable<string> roots, string secret)
    {
        var hits = new List<string>();
        foreach (var root in roots.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                byte[] bytes;
                try
                {
                    var length = new FileInfo(file).Length;
                    if (length == 0 || length > 512L * 1024 * 1024)
                    {
                        continue;
                    }

                    bytes = File.ReadAllBytes(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue; // sockets, pipes, files removed meanwhile
                }

                var text = Encoding.Latin1.GetString(bytes);
                if (text.Contains(secret, StringComparison.Ordinal) || Base64Json().Matches(text).Any(m => Decode(m.Value).Contains(secret, StringComparison.Ordinal)))
                {
                    hits.Add(file);
                }
            }
        }

        return hits;
    }

    private static string Decode(string value)
    {
        var b64 = value.Replace('-', '+').Replace('_', '/').TrimEnd('=');
        b64 = b64[..(b64.Length - (b64.Length % 4 == 1 ? 1 : 0))];
        b64 += new string('=', (4 - (b64.Length % 4)) % 4);
        try
        {
            return Encoding.Latin1.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    [GeneratedRegex("eyJ[A-Za-z0-9+/_-]{8,}={0,2}")]
    private static partial Regex Base64Json();
}
