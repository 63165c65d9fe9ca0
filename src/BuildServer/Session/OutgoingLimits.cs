using Cluster.Protos.Build.V1;

namespace Cluster.BuildServer.Session;

// The leader caps what a builder sends as it caps what an agent sends (Cluster.Leader.Builds.
// BuildDispatcherApi.MaxMessageBytes, 256 KiB a message; 1024 characters a log line, kept), and
// a message over the cap ends the whole session. Build output can hold any line (minified
// files, progress bars), so every line and every result is trimmed here, before it is sent.
internal static class OutgoingLimits
{
    public const int MaxLineChars = 1000;

    public const int MaxErrorChars = 4000;

    public const int MaxLastLines = 50;

    public static BuilderMessage Log(string jobId, string line) =>
        new() { Log = new BuildLog { JobId = jobId, Line = Cut(line ?? "", MaxLineChars) } };

    public static BuilderMessage Result(BuildResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Error = Cut(result.Error, MaxErrorChars);
        result.FailedStep = Cut(result.FailedStep, MaxLineChars);
        var lines = result.LastLines.TakeLast(MaxLastLines).Select(l => Cut(l, MaxLineChars)).ToList();
        result.LastLines.Clear();
        result.LastLines.AddRange(lines);
        return new BuilderMessage { Result = result };
    }

    public static GitHeadResult Head(GitHeadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Error = Cut(result.Error, MaxErrorChars);
        return result;
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
