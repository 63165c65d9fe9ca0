using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// `registry show`: the list fields plus each node's own check of the credential. For helper
// credentials (INTERFACE.md) also "expiresAt" and "nextRefresh", with the helper, the last
// successful refresh and the last refresh error (redacted by the leader); null otherwise.
internal sealed record RegistryDetailView(string Name, string Provider, string Url, string Username, DateTimeOffset? VerifiedAt, ulong Revision, bool Insecure, IReadOnlyList<NodeCheckView> Nodes,
    string? Helper, DateTimeOffset? ExpiresAt, DateTimeOffset? NextRefresh, DateTimeOffset? LastRefreshAt, string? LastRefreshError)
{
    public static RegistryDetailView From(Registry r) =>
        new(r.Name, r.Provider, r.Url, r.Username, r.VerifiedAt?.ToDateTimeOffset(), r.Revision, r.Insecure,
            r.Nodes.Select(n => new NodeCheckView(n.Node, n.Status, string.IsNullOrEmpty(n.Error) ? null : n.Error, n.CheckedAt?.ToDateTimeOffset(), n.Revision)).ToList(),
            string.IsNullOrEmpty(r.Helper) ? null : r.Helper, r.ExpiresAt?.ToDateTimeOffset(), r.NextRefresh?.ToDateTimeOffset(), r.LastRefreshAt?.ToDateTimeOffset(),
            string.IsNullOrEmpty(r.LastRefreshError) ? null : r.LastRefreshError);
}
