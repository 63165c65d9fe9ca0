using System.Formats.Tar;
using System.Text;

namespace Cluster.Leader.Tests.Support;

// A folder as `clusterctl deploy --from-dir` sends it: a PAX tar of regular files, in memory.
public static class TestTar
{
    public static byte[] Of(params (string Name, string Text)[] files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, text) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            }
        }

        return stream.ToArray();
    }
}
