namespace Cluster.Cli;

internal enum OutputFormat
{
    Text,
    Json,
}
