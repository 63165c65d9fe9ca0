using Cluster.Core.Files;
using Cluster.Core.Security;

namespace Cluster.Leader.Security;

// The admin and join tokens, each in its own 0600 file holding one token line (INTERFACE.md:
// DIR/admin.token, DIR/join.token). Created on first start; rotating a token replaces the file
// and the in-memory copy at once (the old token is refused from the next call on). Tokens are compared in constant time.
public sealed class TokenStore
{
    private readonly string _dataDir;
    private readonly string _caFingerprint;
    private readonly Lock _rotation = new();
    private ClusterToken _admin;
    private ClusterToken _join;

    private TokenStore(string dataDir, string caFingerprint, ClusterToken admin, ClusterToken join)
    {
        _dataDir = dataDir;
        _caFingerprint = caFingerprint;
        _admin = admin;
        _join = join;
    }

    public static TokenStore LoadOrCreate(string dataDir, string caFingerprint) =>
        new(dataDir, caFingerprint, LoadOrCreate(dataDir, caFingerprint, ClusterTokenKind.Admin), LoadOrCreate(dataDir, caFingerprint, ClusterTokenKind.Join));

    public static string PathOf(string dataDir, ClusterTokenKind kind) =>
        Path.Combine(dataDir, kind == ClusterTokenKind.Admin ? "admin.token" : "join.token");

    public bool IsValid(ClusterTokenKind kind, string? presented) =>
        ClusterToken.TryParse(presented, out var token, out _) &&
        (kind == ClusterTokenKind.Admin ? Volatile.Read(ref _admin) : Volatile.Read(ref _join)).Matches(token);

    public ClusterToken RotateJoin() => Rotate(ClusterTokenKind.Join, ref _join);

    public ClusterToken RotateAdmin() => Rotate(ClusterTokenKind.Admin, ref _admin);

    // The file is replaced first (atomically, fsynced); only then does memory switch, so a failed
    // write leaves the old token working and a crash leaves the file's token the valid one.
    private ClusterToken Rotate(ClusterTokenKind kind, ref ClusterToken current)
    {
        lock (_rotation)
        {
            var token = ClusterToken.Create(kind, _caFingerprint);
            PrivateFile.WriteText(PathOf(_dataDir, kind), token.Format() + "\n", PrivateFile.OwnerOnly);
            Volatile.Write(ref current, token);
            return token;
        }
    }

    private static ClusterToken LoadOrCreate(string dataDir, string caFingerprint, ClusterTokenKind kind)
    {
        var path = PathOf(dataDir, kind);
        if (File.Exists(path))
        {
            if (ClusterToken.TryParse(File.ReadAllText(path), out var existing, out var error) && existing.Kind == kind && existing.CaFingerprint == caFingerprint)
            {
                return existing;
            }

            throw new InvalidOperationException($"{path} does not hold a valid {kind} token for this leader's CA ({error ?? "CA fingerprint differs"}); delete it to issue a new one");
        }

        var token = ClusterToken.Create(kind, caFingerprint);
        PrivateFile.WriteText(path, token.Format() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
