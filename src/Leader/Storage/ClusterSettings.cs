namespace Cluster.Leader.Storage;

// Cluster-wide settings, persisted in the leader's database: which credential build servers
// push with, and the HOST/PATH namespace built images go to.
public sealed class ClusterSettings(LeaderDatabase db)
{
    private const string Id = "cluster";

    public string? BuildRegistry => Load().BuildRegistry;

    public string? BuildNamespace => Load().BuildNamespace;

    public SettingsRecord Load() => db.Read(d => d.Settings.FindById(Id)) ?? new SettingsRecord { Id = Id };

    // Inside LeaderDatabase.Write only.
    public static void Save(LeaderDatabase d, string? buildRegistry, string? buildNamespace)
    {
        ArgumentNullException.ThrowIfNull(d);
        d.Settings.Upsert(new SettingsRecord { Id = Id, BuildRegistry = buildRegistry, BuildNamespace = buildNamespace });
    }
}
