using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Output;

// INTERFACE.md: {"name","source","image","tag","digest","autoSync","replicas","lastDeployment"}; more added.
internal sealed record AppView(string Name, string Source, string Image, string Tag, string? Digest, bool AutoSync, uint Replicas, string? LastDeployment, string? Registry, IReadOnlyList<string> Constraints, IReadOnlyList<string> Publish, IReadOnlyDictionary<string, string> Env)
{
    public static AppView From(App a) => new(
        a.Name, a.Source, a.Image, a.Tag, string.IsNullOrEmpty(a.Digest) ? null : a.Digest, a.AutoSync, a.Replicas,
        string.IsNullOrEmpty(a.LastDeployment) ? null : a.LastDeployment, string.IsNullOrEmpty(a.Registry) ? null : a.Registry,
        [.. a.Constraints], [.. a.Publish], a.Env.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
}
