using Cluster.Core.Security;
using Cluster.Leader.Security;

namespace Cluster.Leader.Tests.Security;

public sealed class TokenStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cluster-tokens-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(ClusterTokenKind.Admin)]
    [InlineData(ClusterTokenKind.Join)]
    public void Rotate_AnyKind_OldRefusedNewAcceptedAndOnDisk(ClusterTokenKind kind)
    {
        var store = TokenStore.LoadOrCreate(_dir, new string('c', 64));
        var path = TokenStore.PathOf(_dir, kind);
        var old = File.ReadAllText(path).Trim();
        var other = File.ReadAllText(TokenStore.PathOf(_dir, kind == ClusterTokenKind.Admin ? ClusterTokenKind.Join : ClusterTokenKind.Admin)).Trim();

        var rotated = (kind == ClusterTokenKind.Admin ? store.RotateAdmin() : store.RotateJoin()).Format();

        Assert.False(store.IsValid(kind, old));
        Assert.True(store.IsValid(kind, rotated));
        Assert.Equal(rotated, File.ReadAllText(path).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(store.IsValid(kind == ClusterTokenKind.Admin ? ClusterTokenKind.Join : ClusterTokenKind.Admin, other));
        var join = File.ReadAllText(TokenStore.PathOf(_dir, ClusterTokenKind.Join)).Trim();
        Assert.False(store.IsValid(ClusterTokenKind.Admin, join));

        // A restart reads the rotated token back.
        var reloaded = TokenStore.LoadOrCreate(_dir, new string('c', 64));
        Assert.True(reloaded.IsValid(kind, rotated));
        Assert.False(reloaded.IsValid(kind, old));
    }
}
