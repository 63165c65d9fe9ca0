namespace Cluster.Bench.Propagation;

// One measured broadcast: milliseconds from the trigger (UpdateRegistry sent, or the bare
// server told to broadcast) to the first and to the last ack sent by the agents, and to the
// server having processed all N acks (leader: N "acknowledged" log lines, written after the
// ack is stored; bare: its own count).
internal sealed record RunSample(ulong Revision, double FirstAckMs, double AllAckedMs, double TriggerMs, double ServerDoneMs, double ServerCpuMs);

internal sealed class PhaseResult(string server, int agents)
{
    public string Server { get; } = server;

    public int Agents { get; } = agents;

    public List<RunSample> Runs { get; } = [];

    public List<RunSample> Warmups { get; } = [];

    public double RssStartMb { get; set; }

    public double RssIdleMb { get; set; }

    public double RssAfterMb { get; set; }

    public double PeakRssMb { get; set; }

    // After the broadcasts: anonymous (heaps) and file-backed (mapped code) parts of the RSS.
    public double AnonAfterMb { get; set; }

    public double FileAfterMb { get; set; }

    public int ServerThreads { get; set; }

    public double JoinSeconds { get; set; }

    public double ConnectSeconds { get; set; }

    public int MessageBytes { get; set; }

    public string Gc { get; set; } = "";

    public List<string> Notes { get; } = [];

    public double ShmemAfterMb { get; set; }

    public double GcHeapIdleMb { get; set; }

    public double GcHeapAfterMb { get; set; }

    public void MeasureAfter(int pid)
    {
        var m = ProcessStats.Detailed(pid);
        RssAfterMb = m.Rss;
        PeakRssMb = m.Peak;
        AnonAfterMb = m.Anon;
        FileAfterMb = m.File;
        ShmemAfterMb = m.Shmem;
        GcHeapAfterMb = ProcessStats.GcHeapRss(pid);
        ServerThreads = ProcessStats.Threads(pid);
    }

    public void AddAgentNotes(Fleet fleet)
    {
        var fulls = fleet.Fulls - Agents;
        if (fleet.Resyncs > 0 || fulls > 0 || fleet.Failed > 0)
        {
            Notes.Add($"agents: {fleet.Resyncs} re-syncs, {fulls} extra FULL sets, {fleet.Failed} failed sessions");
        }
    }

    public double Median => Stats.Percentile(Runs.Select(r => r.AllAckedMs), 50);

    public double P90 => Stats.Percentile(Runs.Select(r => r.AllAckedMs), 90);
}

internal static class Stats
{
    // Linear interpolation between closest ranks (numpy's default).
    public static double Percentile(IEnumerable<double> values, double percent)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = percent / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
