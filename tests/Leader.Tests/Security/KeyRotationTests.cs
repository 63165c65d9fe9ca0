using System.Security.Cryptography;
using Cluster.Leader.Hosting;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Tests.Security;

// SecretBox and key rotation on a real data dir (LiteDB file, keys/), in-process.
public sealed class KeyRotationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cluster-keyrotation-test-").FullName;

    private string DataDir => Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Rotate_WithSecrets_ResealsUnderOneNewKeyAndDeletesTheOld()
    {
        string oldKey;
        string newKey;
        using (var state = LeaderState.Open(DataDir))
        {
            oldKey = state.Secrets.CurrentKeyId;
            Store(state, "c1", "password-one");
            Store(state, "c2", "password-two");

            (newKey, var count) = KeyRotation.Rotate(state.Secrets, state.Database, "test");

            Assert.Equal(2, count);
            Assert.NotEqual(oldKey, newKey);
            Assert.Equal([newKey], state.Secrets.KeyIds);
            var records = state.Database.Read(d => d.Credentials.FindAll().ToList());
            Assert.All(records, r => Assert.True(state.Secrets.IsSealedWithCurrentKey(r.SealedSecret)));
        }

        Assert.Equal([newKey + ".key"], Directory.GetFiles(Path.Combine(DataDir, "keys"), "*.key").Select(Path.GetFileName));
        using var reopened = LeaderState.Open(DataDir);
        Assert.Equal("password-one", Open(reopened, "c1"));
        Assert.Equal("password-two", Open(reopened, "c2"));
    }

    // Old keys are deleted only once the data file itself holds the re-sealed secrets: a copy
    // of cluster.db and keys/ taken right after rotation (LiteDB's log file left behind, as a
    // crash or a naive backup would) still opens every secret.
    [Fact]
    public void Rotate_DataFileAloneWithKeys_OpensEverySecret()
    {
        using (var state = LeaderState.Open(DataDir))
        {
            Store(state, "c1", "password-one");
            KeyRotation.Rotate(state.Secrets, state.Database, "test");

            var copy = Path.Combine(_root, "copy");
            Directory.CreateDirectory(Path.Combine(copy, "keys"));
            File.Copy(Path.Combine(DataDir, "cluster.db"), Path.Combine(copy, "cluster.db"));
            foreach (var file in Directory.GetFiles(Path.Combine(DataDir, "keys")))
            {
                File.Copy(file, Path.Combine(copy, "keys", Path.GetFileName(file)));
            }
        }

        using var restored = LeaderState.Open(Path.Combine(_root, "copy"));
        Assert.Equal("password-one", Open(restored, "c1"));
    }

    [Fact]
    public void Open_SecretCopiedOntoAnotherRecord_DoesNotDecrypt()
    {
        using var state = LeaderState.Open(DataDir);
        var sealedText = state.Secrets.Seal("password", "record-a");

        Assert.Equal("password", state.Secrets.Open(sealedText, "record-a"));
        Assert.ThrowsAny<CryptographicException>(() => state.Secrets.Open(sealedText, "record-b"));
    }

    [Fact]
    public void Open_TamperedCiphertext_Fails()
    {
        using var state = LeaderState.Open(DataDir);
        var sealedText = state.Secrets.Seal("password", "record-a");
        var parts = sealedText.Split(':');
        var bytes = Convert.FromBase64String(parts[2]);
        bytes[^1] ^= 1;

        Assert.ThrowsAny<CryptographicException>(() => state.Secrets.Open($"{parts[0]}:{parts[1]}:{Convert.ToBase64String(bytes)}", "record-a"));
    }

    // Issue #9.6: a registry secret is bound to its record id, registry URL and username. A
    // record whose URL or username was changed in the database file (not through the leader,
    // which re-seals) no longer opens, so the password is never sent to another registry.
    [Theory]
    [InlineData("attacker.example:5000", "user")]
    [InlineData("registry.example:5000", "someone-else")]
    [InlineData("registry.example:5000/other-scope", "user")]
    public void Open_RecordPointedAtAnotherRegistryOrUsername_RefusedNamingTheRecord(string url, string username)
    {
        using var state = LeaderState.Open(DataDir);
        Store(state, "c1", "password-one");
        state.Database.Write(d =>
        {
            var r = d.Credentials.FindById("c1");
            r.Url = url;
            r.Username = username;
            return d.Credentials.Update(r);
        });

        var record = state.Database.Read(d => d.Credentials.FindById("c1"));
        var e = Assert.ThrowsAny<CryptographicException>(() => state.Secrets.Open(record.SealedSecret, record.SecretBinding()));
        Assert.Contains("record c1", e.Message, StringComparison.Ordinal);
        Assert.Contains("another record, registry URL or username", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("password-one", e.Message, StringComparison.Ordinal);
    }

    // Secrets sealed by an older leader (format v1, bound to the record id alone) still open, and
    // the leader's start re-seals them bound to URL and username (once; a second start writes
    // nothing). Helper environments, webhook and Git secrets are upgraded alike.
    [Fact]
    public void UpgradeBindings_LegacySecrets_ResealedWithTheFullBindingOnce()
    {
        using var state = LeaderState.Open(DataDir);
        state.Database.Write(d => d.Credentials.Insert(new CredentialRecord
        {
            Id = "old",
            Name = "old",
            Provider = "generic",
            Url = "registry.example:5000",
            Username = "user",
            SealedSecret = Legacy(state.Secrets.Seal("password-old", "old")),
            SealedHelperEnv = Legacy(state.Secrets.Seal("AWS_PROFILE=x", CredentialRecord.HelperEnvBinding("old"))),
        }));
        state.Database.Write(d => d.Credentials.Insert(new CredentialRecord { Id = "anon", Name = "anon", Provider = "generic", Url = "public.example", Username = "", SealedSecret = "" }));
        Store(state, "new", "password-new");

        var upgraded = KeyRotation.UpgradeBindings(state.Secrets, state.Database);

        Assert.Equal(1, upgraded);
        var old = state.Database.Read(d => d.Credentials.FindById("old"));
        Assert.False(SecretBox.IsLegacy(old.SealedSecret));
        Assert.Equal("password-old", state.Secrets.Open(old.SealedSecret, old.SecretBinding()));
        Assert.Throws<CryptographicException>(() => state.Secrets.Open(old.SealedSecret, "old"));
        Assert.Equal("AWS_PROFILE=x", state.Secrets.Open(old.SealedHelperEnv!, CredentialRecord.HelperEnvBinding("old")));
        Assert.Equal("password-new", Open(state, "new"));
        Assert.Equal(0, KeyRotation.UpgradeBindings(state.Secrets, state.Database));
    }

    // An entry without credentials (no sealed secret) does not stop a rotation.
    [Fact]
    public void Rotate_WithAnEntryWithoutCredentials_ResealsTheOthers()
    {
        using var state = LeaderState.Open(DataDir);
        state.Database.Write(d => d.Credentials.Insert(new CredentialRecord { Id = "anon", Name = "anon", Provider = "generic", Url = "public.example", Username = "", SealedSecret = "" }));
        Store(state, "c1", "password-one");

        var (_, count) = KeyRotation.Rotate(state.Secrets, state.Database, "test");

        Assert.Equal(1, count);
        Assert.Equal("password-one", Open(state, "c1"));
    }

    // What a leader before the binding wrote: bound to the id alone, marked v1.
    private static string Legacy(string sealedForIdOnly) => "v1" + sealedForIdOnly[2..];

    private static void Store(LeaderState state, string id, string secret) =>
        state.Database.Write(d => d.Credentials.Insert(new CredentialRecord
        {
            Id = id,
            Name = id,
            Provider = "generic",
            Url = "registry.example:5000",
            Username = "user",
            SealedSecret = state.Secrets.Seal(secret, CredentialRecord.Binding(id, "registry.example:5000", "user")),
        }));

    private static string Open(LeaderState state, string id) =>
        state.Database.Read(d => d.Credentials.FindById(id)) is var r ? state.Secrets.Open(r.SealedSecret, r.SecretBinding()) : "";
}
