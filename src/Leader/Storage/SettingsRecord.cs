namespace Cluster.Leader.Storage;

public sealed class SettingsRecord
{
    public string Id { get; set; } = "";

    public string? BuildRegistry { get; set; }

    public string? BuildNamespace { get; set; }
}
