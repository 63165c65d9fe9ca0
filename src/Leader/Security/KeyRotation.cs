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
    // Entries without credentials have no sealed secret and are skipped. At start (legacyOnly) a
    // secret that does not open is left as it is, so one swapped or damaged record cannot keep
    // the leader from starting: SecretCheck names it and nothing uses it. A rotation refuses
    // instead (the transaction is rolled back): re-sealing past such a secret and deleting the
    // old keys would destroy what a restored backup could still open.
    private static int Reseal(SecretBox secrets, LeaderDatabase d, bool legacyOnly)
    {
        bool Due(string? sealedText) => !string.IsNullOrEmpty(sealedText) && (!legacyOnly || SecretBox.IsLegacy(sealedText));
        string? Again(string sealedText, string binding)
        {
            try
            {
                return secrets.Seal(secrets.Open(sealedText, binding), binding);
            }
            catch (System.Security.Cryptography.CryptographicException) when (legacyOnly)
            {
                return null;
            }
        }

        var n = 0;
        foreach (var record in d.Credentials.FindAll().ToList())
        {
            var changed = false;
            if (Due(record.SealedSecret) && Again(record.SealedSecret, record.SecretBinding()) is { } secret)
            {
                record.SealedSecret = secret;
                changed = true;
            }

            if (Due(record.SealedHelperEnv) && Again(record.SealedHelperEnv!, CredentialRecord.HelperEnvBinding(record.Id)) is { } env)
            {
                record.SealedHelperEnv = env;
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
            if (Again(record.SealedSecret, record.Id) is { } secret)
            {
                record.SealedSecret = secret;
                d.Webhooks.Update(record);
                n++;
            }
        }

        foreach (var record in d.GitCredentials.FindAll().ToList().Where(r => Due(r.SealedToken)))
        {
            if (Again(record.SealedToken, record.SecretBinding()) is { } token)
            {
                record.SealedToken = token;
                d.GitCredentials.Update(record);
                n++;
            }
        }

        return n;
    }
}
