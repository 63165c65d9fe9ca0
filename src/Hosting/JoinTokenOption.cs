using System.CommandLine;

namespace Cluster.Hosting;

// The join token of agents and builders. INTERFACE.md fixes --join-token TOKEN; because argv is
// readable by every local user (/proc/PID/cmdline), installs use --join-token-file (0600) or
// the CLUSTER_JOIN_TOKEN environment variable instead, and the token is never logged.
public static class JoinTokenOption
{
    public static Option<string?> Inline() => new("--join-token")
    {
        Description = "Join token printed by the leader (prefer --join-token-file: argv is visible to other local users)",
    };

    public static Option<FileInfo?> File() => new("--join-token-file")
    {
        Description = "File holding the join token (mode 0600), e.g. a systemd credential",
    };

    // One of the three sources, in order: flag, file, environment. Null with an error message
    // when none is given or the file cannot be read.
    public static string? Resolve(string? inline, FileInfo? file, out string? error)
    {
        error = null;
        if (!string.IsNullOrWhiteSpace(inline))
        {
            return inline.Trim();
        }

        if (file is not null)
        {
            try
            {
                var text = System.IO.File.ReadAllText(file.FullName).Trim();
                if (text.Length > 0)
                {
                    return text;
                }

                error = $"join token file {file.FullName} is empty";
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"cannot read join token file {file.FullName}: {e.Message}";
                return null;
            }
        }

        var env = Environment.GetEnvironmentVariable("CLUSTER_JOIN_TOKEN");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env.Trim();
        }

        error = "no join token: pass --join-token-file FILE (or --join-token TOKEN, or set CLUSTER_JOIN_TOKEN); the leader writes it to DATA_DIR/join.token";
        return null;
    }
}
