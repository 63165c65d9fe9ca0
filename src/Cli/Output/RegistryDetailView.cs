using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// `registry show`: the list fields plus each node's own check of the credential.
internal sealed record RegistryDetailView(string Name, string Provider, string Url, string Username, DateTimeOffset? VerifiedAt, ulong Revision, bool Insecure, IReadOnlyList<NodeCheckView> Nodes)
{
    public static RegistryDetailView From(Registry r) =>
        new(r.Name, r.Provider, r.Url, r.Username, r.VerifiedAt?.ToDateTimeOffset(), r.Revision, r.Insecure,
            r.Nodes.Select(n => new NodeCheckView(n.Node, n.Status, string.IsNullOrEmpty(n.Error) ? null : n.Error, n.CheckedAt?.ToDateTimeOffset(), n.Revision)).ToList());
}
