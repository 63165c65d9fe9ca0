using System.Globalization;
using System.Runtime.InteropServices;

namespace Cluster.Bench.Propagation;

// What /proc says about a process: resident memory and CPU time. Linux only, like the product.
internal static partial class ProcessStats
{
    private static readonly double TicksPerSecond = 100; // USER_HZ; 100 on every Linux we run on

    // VmRSS and VmHWM (peak RSS) in MiB.
    public static (double Rss, double Peak) Memory(int pid)
    {
        var (rss, peak, _, _, _) = Detailed(pid);
        return (rss, peak);
    }

    // VmRSS split into anonymous memory (GC heap, native allocations, stacks), file-backed pages
    // (mapped assemblies and native libraries) and shared memory (the runtime's W^X double
    // mapping of JIT code), in MiB.
    public static (double Rss, double Peak, double Anon, double File, double Shmem) Detailed(int pid)
    {
        double rss = 0, peak = 0, anon = 0, file = 0, shmem = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line) / 1024.0;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line) / 1024.0;
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kib(line) / 1024.0;
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kib(line) / 1024.0;
            }
            else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
            {
                shmem = Kib(line) / 1024.0;
            }
        }

        return (rss, peak, anon, file, shmem);
    }

    // Resident part of the .NET GC heap, in MiB. The GC reserves one huge address range (hundreds
    // of GB) and commits regions inside it, which splits it into adjacent anonymous mappings: the
    // block of contiguous anonymous mappings around the largest one is the GC heap. The rest of the
    // anonymous RSS is native memory (OpenSSL, malloc arenas, thread stacks).
    public static double GcHeapRss(int pid)
    {
        var maps = new List<(ulong From, ulong To, bool Anonymous, long RssKib)>();
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var range = line.Split(' ', 2)[0].Split('-');
            if (range.Length == 2 &&
                ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var from) &&
                ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var to))
            {
                maps.Add((from, to, line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 6, 0));
            }
            else if (maps.Count > 0 && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                maps[^1] = maps[^1] with { RssKib = Kib(line) };
            }
        }

        maps.Sort((a, b) => a.From.CompareTo(b.From));
        var largest = -1;
        for (var i = 0; i < maps.Count; i++)
        {
            if (maps[i].Anonymous && (largest < 0 || maps[i].To - maps[i].From > maps[largest].To - maps[largest].From))
            {
                largest = i;
            }
        }

        if (largest < 0 || maps[largest].To - maps[largest].From < 1UL << 30)
        {
            return double.NaN;
        }

        var low = largest;
        while (low > 0 && maps[low - 1].Anonymous && maps[low - 1].To == maps[low].From)
        {
            low--;
        }

        var high = largest;
        while (high < maps.Count - 1 && maps[high + 1].Anonymous && maps[high + 1].From == maps[high].To)
        {
            high++;
        }

        return maps.Skip(low).Take(high - low + 1).Sum(m => m.RssKib) / 1024.0;
    }

    // User + system CPU seconds the process has used so far.
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may contain spaces; the fields after it are fixed.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    public static int Threads(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                return (int)Kib(line);
            }
        }

        return 0;
    }

    // The open-files limit: each agent is one socket here and one in the server. Raises the soft
    // limit to the hard one when it is too low for `needed` (children inherit it).
    public static string EnsureFileLimit(int needed)
    {
        var (soft, hard) = FileLimit();
        if (soft >= (ulong)needed)
        {
            return $"open files limit {soft} (hard {hard}), enough for {needed}";
        }

        var raised = new RLimit { Current = Math.Min(hard, Math.Max((ulong)needed, soft)), Maximum = hard };
        if (SetRLimit(RlimitNoFile, ref raised) == 0)
        {
            var (now, _) = FileLimit();
            return now >= (ulong)needed
                ? $"open files limit raised from {soft} to {now} (hard {hard}) for {needed}"
                : $"WARNING: open files limit {now} (hard {hard}) is below the {needed} this run needs; raise it (ulimit -n {needed}) or connections will fail";
        }

        return $"WARNING: open files limit {soft} is below the {needed} this run needs and could not be raised (errno {Marshal.GetLastPInvokeError()}); run `ulimit -n {needed}` first";
    }

    private static (ulong Soft, ulong Hard) FileLimit()
    {
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return (Limit(parts[0]), Limit(parts[1]));
            }
        }

        return (ulong.MaxValue, ulong.MaxValue);
    }

    private static ulong Limit(string text) => text == "unlimited" ? ulong.MaxValue : ulong.Parse(text, CultureInfo.InvariantCulture);

    private static long Kib(string line) =>
        long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, ref RLimit limit);
}
