namespace Cluster.Cli.Output;

// One step of a deployment: {"name","status","error"}.
internal sealed record StepView(string Name, string Status, string? Error);
