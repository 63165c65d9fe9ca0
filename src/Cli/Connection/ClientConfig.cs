namespace Cluster.Cli.Connection;

// Where clusterctl finds its leader and admin token when no flag or environment variable gives
// them: a config file (default /etc/cluster/clusterctl.conf, or $CLUSTER_CONFIG) of KEY=VALUE
// lines, written by install.sh for root only:
//   leader=10.0.0.1:7443
//   token-file=/var/lib/cluster/leader/admin.token
// The token itself stays in its 0600 file; the config only points at it.
internal static class ClientConfig
{
    public static string Path => Environment.GetEnvironmentVariable("CLUSTER_CONFIG") is { Length: > 0 } p ? p : "/etc/cluster/clusterctl.conf";

    public static (string? Leader, string? Token) Load()
    {
        string? leader = null;
        string? token = null;
        try
        {
            if (!File.Exists(Path))
            {
                return (null, null);
            }

            foreach (var raw in File.ReadAllLines(Path))
            {
                var line = raw.Trim();
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (line.StartsWith('#') || eq <= 0)
                {
                    continue;
                }

                var value = line[(eq + 1)..].Trim();
                switch (line[..eq].Trim())
                {
                    case "leader":
                        leader = value;
                        break;
                    case "token-file" when File.Exists(value):
                        token = File.ReadAllText(value).Trim();
                        break;
                    default:
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {Path}: {e.Message} (it is readable by root only; use sudo, or pass --leader and CLUSTER_TOKEN)");
        }

        return (leader, token);
    }
}
