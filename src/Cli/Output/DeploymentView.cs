using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: {"id","app","status","image","digest","startedAt","finishedAt","nodes":[{"node","step","status","error"}],"error"}; log added.
internal sealed record DeploymentView(string Id, string App, string Status, string Image, string? Digest, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, IReadOnlyList<NodeStepView> Nodes, string? Error, string RequestedBy, IReadOnlyList<string> Log)
{
    public static DeploymentView From(Deployment d) => new(
        d.Id, d.App, d.Status, d.Image, string.IsNullOrEmpty(d.Digest) ? null : d.Digest,
        d.StartedAt?.ToDateTimeOffset(), d.FinishedAt?.ToDateTimeOffset(),
        d.Nodes.Select(n => new NodeStepView(n.Node, n.Step, n.Status, string.IsNullOrEmpty(n.Error) ? null : n.Error)).ToList(),
        string.IsNullOrEmpty(d.Error) ? null : d.Error, d.RequestedBy, [.. d.Log]);
}
