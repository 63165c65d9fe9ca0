using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: {"id","app","status","image","digest","startedAt","finishedAt","nodes":[{"node","step","status","error"}],"error"};
// added: "trigger" (manual, auto-sync, webhook), "previousDigest", "steps":[{"name","status","error"}], "log";
// for an uploaded folder "sourceSha256" and "sourceBytes".
internal sealed record DeploymentView(string Id, string App, string Status, string Image, string? Digest, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, IReadOnlyList<NodeStepView> Nodes, string? Error, string RequestedBy, IReadOnlyList<string> Log)
{
    public string Trigger { get; init; } = "manual";

    public string? PreviousDigest { get; init; }

    public IReadOnlyList<StepView> Steps { get; init; } = [];

    // Builds: "source" ("git URL@REF", null for image apps) and "build":{"commit","log","image",
    // "digest","builder","local"} (null when nothing was built).
    public string? Source { get; init; }

    public BuildView? Build { get; init; }

    // An uploaded folder (source "dir:NAME@sha256:HEX"): the tar's sha256 and size in bytes;
    // null for other sources.
    public string? SourceSha256 { get; init; }

    public long? SourceBytes { get; init; }

    public static DeploymentView From(Deployment d) => new(
        d.Id, d.App, d.Status, d.Image, string.IsNullOrEmpty(d.Digest) ? null : d.Digest,
        d.StartedAt?.ToDateTimeOffset(), d.FinishedAt?.ToDateTimeOffset(),
        d.Nodes.Select(n => new NodeStepView(n.Node, n.Step, n.Status, string.IsNullOrEmpty(n.Error) ? null : n.Error)).ToList(),
        string.IsNullOrEmpty(d.Error) ? null : d.Error, d.RequestedBy, [.. d.Log])
    {
        Trigger = d.Trigger switch
        {
            DeploymentTrigger.AutoSync => "auto-sync",
            DeploymentTrigger.Webhook => "webhook",
            DeploymentTrigger.Migration => "migration",
            _ => "manual",
        },
        PreviousDigest = string.IsNullOrEmpty(d.PreviousDigest) ? null : d.PreviousDigest,
        Steps = d.Steps.Select(s => new StepView(s.Name, s.Status, string.IsNullOrEmpty(s.Error) ? null : s.Error)).ToList(),
        Source = string.IsNullOrEmpty(d.Source) ? null : d.Source,
        Build = d.Build is null ? null : BuildView.From(d.Build),
        SourceSha256 = string.IsNullOrEmpty(d.SourceSha256) ? null : d.SourceSha256,
        SourceBytes = d.SourceBytes > 0 ? d.SourceBytes : null,
    };
}
