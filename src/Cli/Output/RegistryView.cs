using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: {"name","provider","url","username","verifiedAt","revision"}.
internal sealed record RegistryView(string Name, string Provider, string Url, string Username, DateTimeOffset? VerifiedAt, ulong Revision)
{
    public static RegistryView From(Registry r) =>
        new(r.Name, r.Provider, r.Url, r.Username, r.VerifiedAt?.ToDateTimeOffset(), r.Revision);
}
