using System.Security.Cryptography;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Security;

// Every stored secret opened once with its binding, at the leader's start, to name the ones that
// do not open (swapped or altered in the database file, or sealed with a key that is gone) before
// anything needs them. Nothing is changed: such a secret is never used (each service skips or
// refuses it), and the record is fixed by setting its secret again.
public static class SecretCheck
{
    // One secret that does not open: what it belongs to, and SecretBox's reason (no plaintext).
    public sealed record Unopenable(string Kind, string Name, string RecordId, string Reason, string Remedy);

    public static IReadOnlyList<Unopenable> Run(SecretBox secrets, LeaderDatabase database)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(database);
        return database.Read(d =>
        {
            var found = new List<Unopenable>();
            void Check(string kind, string name, string id, string? sealedText, string binding, string remedy)
            {
                if (string.IsNullOrEmpty(sealedText))
                {
                    return;
                }

                try
                {
                    secrets.Open(sealedText, binding);
                }
                catch (CryptographicException e)
                {
                    found.Add(new Unopenable(kind, name, id, e.Message, remedy));
                }
            }

            foreach (var r in d.Credentials.FindAll())
            {
                var remedy = $"clusterctl registry update {r.Name} --password-stdin";
                Check("registry", r.Name, r.Id, r.SealedSecret, r.SecretBinding(), remedy);
                Check("registry helper environment of", r.Name, r.Id, r.SealedHelperEnv, CredentialRecord.HelperEnvBinding(r.Id), $"clusterctl registry remove {r.Name}, then add it again");
            }

            foreach (var r in d.Webhooks.FindAll())
            {
                Check("webhook", r.Name, r.Id, r.SealedSecret, r.Id, $"clusterctl webhook remove {r.Name}, then add it again (it gets a new secret)");
            }

            foreach (var r in d.GitCredentials.FindAll())
            {
                Check("Git credential", r.Name, r.Id, r.SealedToken, r.SecretBinding(), "remove the Git credential and add it again");
            }

            return found;
        });
    }
}
