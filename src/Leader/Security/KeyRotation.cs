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
            var n = 0;
            foreach (var record in d.Credentials.FindAll().ToList())
            {
                var plain = secrets.Open(record.SealedSecret, record.Id);
                record.SealedSecret = secrets.Seal(plain, record.Id);
                if (record.SealedHelperEnv is { } sealedEnv)
                {
                    record.SealedHelperEnv = secrets.Seal(secrets.Open(sealedEnv, CredentialRecord.HelperEnvBinding(record.Id)), CredentialRecord.HelperEnvBinding(record.Id));
                }

                d.Credentials.Update(record);
                n++;
            }

            foreach (var record in d.Webhooks.FindAll().ToList())
            {
                record.SealedSecret = secrets.Seal(secrets.Open(record.SealedSecret, record.Id), record.Id);
                d.Webhooks.Update(record);
                n++;
            }

            // Git credentials (builds) are sealed with the same keys.
            foreach (var record in d.GitCredentials.FindAll().ToList())
            {
                var plain = secrets.Open(record.SealedToken, record.Id);
                record.SealedToken = secrets.Seal(plain, record.Id);
                d.GitCredentials.Update(record);
                n++;
            }

            d.Audit.Insert(new AuditRecord { At = DateTime.UtcNow, Actor = actor, Action = "key.rotate", Target = newKey, Details = $"{n} secrets re-encrypted" });
            return n;
        });
        // The commit may still sit only in LiteDB's log; old keys go once the data file itself
        // holds every re-sealed secret, on disk.
        database.CheckpointAndSync();
        secrets.RemoveKeysExceptCurrent();
        return (newKey, count);
    }
}
