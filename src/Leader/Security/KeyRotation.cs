using Cluster.Leader.Storage;

namespace Cluster.Leader.Security;

// Re-encrypts every stored secret under a new key, then deletes the old keys. Crash-safe: the
// new key is on disk before the database changes, the re-encryption is one transaction, and
// old keys are deleted only after it committed AND the database was checkpointed and fsynced,
// so at every instant, and after any crash, each secret has its key.
public static class KeyRotation
{
    public static (string NewKeyId, int Resealed) Rotate(SecretBox secrets, LeaderDatabase database, string actor)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(database);
        var newKey = secrets.AddNewKey();
        var count = database.Write(d =>
        {
            var n = Reseal(secrets, d, legacyOnly: false);
            d.Audit.Insert(new AuditRecord { At = DateTime.UtcNow, Actor = actor, Action = "key.rotate", Target = newKey, Details = $"{n} secrets re-encrypted" });
            return n;
        });
        // The commit may still sit only in LiteDB's log; old keys go once the data file itself
        // holds every re-sealed secret, on disk.
        database.CheckpointAndSync();
        secrets.RemoveKeysExceptCurrent();
        return (newKey, count);
    }

    // At start: secrets sealed before they were bound to their registry URL and username
    // (format v1, bound to the record id only) are re-sealed with their full binding, under the
    // current key, in one transaction. Returns how many; 0 (and no write) when none is left.
    public static int UpgradeBindings(SecretBox secrets, LeaderDatabase database)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(database);
        var legacy = database.Read(d =>
            d.Credentials.FindAll().Any(r => SecretBox.IsLegacy(r.SealedSecret) || (r.SealedHelperEnv is { } env && SecretBox.IsLegacy(env))) ||
            d.Webhooks.FindAll().Any(r => SecretBox.IsLegacy(r.SealedSecret)) ||
            d.GitCredentials.FindAll().Any(r => SecretBox.IsLegacy(r.SealedToken)));
        if (!legacy)
        {
            return 0;
        }

        var count = database.Write(d =>
        {
            var n = Reseal(secrets, d, legacyOnly: true);
            d.Audit.Insert(new AuditRecord { At = DateTime.UtcNow, Actor = "cluster-leader", Action = "secrets.bind", Target = secrets.CurrentKeyId, Details = $"{n} secrets re-sealed bound to their registry URL and username" });
            return n;
        });
        database.CheckpointAndSync();
        return count;
    }

    // Every stored secret (registry credentials, helper environments, webhook secrets, Git
    // credentials) opened with its binding and sealed again with it under the current key.
    // Entries without credentials have no sealed secret and are skipped.
    private static int Reseal(SecretBox secrets, LeaderDatabase d, bool legacyOnly)
    {
        bool Due(string? sealedText) => !string.IsNullOrEmpty(sealedText) && (!legacyOnly || SecretBox.IsLegacy(sealedText));
        var n = 0;
        foreach (var record in d.Credentials.FindAll().ToList())
        {
            var changed = false;
            if (Due(record.SealedSecret))
            {
                record.SealedSecret = secrets.Seal(secrets.Open(record.SealedSecret, record.SecretBinding()), record.SecretBinding());
                changed = true;
            }

            if (Due(record.SealedHelperEnv))
            {
                var binding = CredentialRecord.HelperEnvBinding(record.Id);
                record.SealedHelperEnv = secrets.Seal(secrets.Open(record.SealedHelperEnv!, binding), binding);
                changed = true;
            }

            if (changed)
            {
                d.Credentials.Update(record);
                n++;
            }
        }

        foreach (var record in d.Webhooks.FindAll().ToList().Where(r => Due(r.SealedSecret)))
        {
            record.SealedSecret = secrets.Seal(secrets.Open(record.SealedSecret, record.Id), record.Id);
            d.Webhooks.Update(record);
            n++;
        }

        foreach (var record in d.GitCredentials.FindAll().ToList().Where(r => Due(r.SealedToken)))
        {
            record.SealedToken = secrets.Seal(secrets.Open(record.SealedToken, record.SecretBinding()), record.SecretBinding());
            d.GitCredentials.Update(record);
            n++;
        }

        return n;
    }
}
