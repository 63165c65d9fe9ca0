using System.Security.Cryptography;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Tests.Support;

namespace Cluster.NodeAgent.Tests.Identity;

public sealed class IdentityStoreTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("agent-store-").FullName, "state");

    [Fact]
    public void EnrollmentId_TwoStateDirs_DifferAndEachIsStable()
    {
        // Cloned hosts share their engine ID; their enrollment ids must not be shared.
        var other = Path.Combine(Path.GetDirectoryName(_dir)!, "other");
        var first = new IdentityStore(_dir).EnrollmentId();

        Assert.Equal(first, new IdentityStore(_dir).EnrollmentId());
        Assert.NotEqual(first, new IdentityStore(other).EnrollmentId());
        Assert.Equal(32, first.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(new IdentityStore(_dir).EnrollmentIdFile));
    }

    [Fact]
    public void Save_NewIdentity_WritesOwnerOnlyFilesAndReadsBack()
    {
        var store = new IdentityStore(_dir);
        var (der, key) = _pki.Issue(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90), "n-42");
        using (key)
        {
            var saved = store.Save("n-42", key, der, _pki.Ca.RawData);

            Assert.Equal("n-42", saved.NodeId);
            Assert.True(saved.Certificate.HasPrivateKey);
        }

        Assert.True(store.TryLoad(out var loaded, out _));
        Assert.Equal("n-42", loaded.NodeId);
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal(_pki.Ca.RawData, loaded.Ca.RawData);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
        Assert.Equal(["ca.crt", "node.crt", "node.id", "node.key"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void TryLoad_EmptyDir_Missing()
    {
        Assert.False(new IdentityStore(_dir).TryLoad(out _, out var problem));
        Assert.Equal(IdentityStatus.Missing, problem!.Status);
    }

    [Fact]
    public void TryLoad_KeyFromAnotherJoin_UnreadableSoTheNodeJoinsAgain()
    {
        var store = new IdentityStore(_dir);
        var (der, key) = _pki.Issue(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90));
        using (key)
        {
            store.Save("n-1", key, der, _pki.Ca.RawData);
        }

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(store.KeyFile, other.ExportPkcs8PrivateKeyPem());

        Assert.False(store.TryLoad(out _, out var problem));
        Assert.Equal(IdentityStatus.Unreadable, problem!.Status);
    }

    [Fact]
    public void TryLoad_CertificateMissing_UnreadableNamingTheFile()
    {
        var store = new IdentityStore(_dir);
        var (der, key) = _pki.Issue(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90));
        using (key)
        {
            store.Save("n-1", key, der, _pki.Ca.RawData);
        }

        File.Delete(store.CertificateFile);

        Assert.False(store.TryLoad(out _, out var problem));
        Assert.Equal(IdentityStatus.Unreadable, problem!.Status);
        Assert.Contains("node.crt", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Delete_AfterSave_LeavesNoIdentity()
    {
        var store = new IdentityStore(_dir);
        var (der, key) = _pki.Issue(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(90));
        using (key)
        {
            store.Save("n-1", key, der, _pki.Ca.RawData);
        }

        store.Delete();

        Assert.False(store.TryLoad(out _, out var problem));
        Assert.Equal(IdentityStatus.Missing, problem!.Status);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);
    }
}
