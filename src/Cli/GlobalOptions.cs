using System.CommandLine;

namespace Cluster.Cli;

// Options every leader-facing command reads. The token is a secret: prefer CLUSTER_TOKEN or the
// config file written by install.sh over --token, which other local users can read in argv.
internal static class GlobalOptions
{
    public static readonly Option<string?> Leader = new("--leader")
    {
        Description = "Leader admin API HOST:PORT (default: $CLUSTER_LEADER)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CLUSTER_LEADER"),
    };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "Admin token (default: $CLUSTER_TOKEN)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CLUSTER_TOKEN"),
    };

    // -o json on read commands: one JSON document on stdout and nothing else.
    public static Option<OutputFormat> Output() => new("--output", "-o")
    {
        Description = "Output format: text or json",
        DefaultValueFactory = _ => OutputFormat.Text,
    };
}
