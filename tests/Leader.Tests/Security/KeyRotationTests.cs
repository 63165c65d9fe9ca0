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

    private static void Store(LeaderState state, string id, string secret) =>
        state.Database.Write(d => d.Credentials.Insert(new CredentialRecord
        {
            Id = id,
            Name = id,
            Provider = "generic",
            Url = "registry.example:5000",
            Username = "user",
            SealedSecret = state.Secrets.Seal(secret, id),
        }));

    private static string Open(LeaderState state, string id) =>
        state.Secrets.Open(state.Database.Read(d => d.Credentials.FindById(id)).SealedSecret, id);
}
