using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Cluster.Core.Text;

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

    // -o json on read commands: one JSON document on stdout and nothing else. Its own parser,
    // so a wrong value is refused as "-o 'yaml' is not ..." rather than with the enum's type name.
    public static Option<OutputFormat> Output() => new("--output", "-o")
    {
        Description = "Output format: text or json",
        HelpName = "text|json",
        DefaultValueFactory = _ => OutputFormat.Text,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "text";
            switch (text.ToLowerInvariant())
            {
                case "text":
                    return OutputFormat.Text;
                case "json":
                    return OutputFormat.Json;
                default:
                    r.AddError($"-o/--output {Quoted.Value(text)} is not an output format: give -o text or -o json");
                    return OutputFormat.Text;
            }
        },
    };

    // A whole number flag (--replicas): a value that is not one is refused naming the flag, the
    // value and what it counts, not with .NET's type name.
    public static int ParseWholeNumber(ArgumentResult result, string flag, string expected)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError($"{flag} {Quoted.Value(text)} is not a whole number: give {expected}");
        return 0;
    }
}
