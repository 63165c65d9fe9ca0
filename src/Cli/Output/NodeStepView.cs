namespace Cluster.Cli.Output;

internal sealed record NodeStepView(string Node, string Step, string Status, string? Error);
