using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Cluster.Core.Security;

// A bearer token that also pins the leader's CA, as Docker Swarm join tokens do:
//   CLSTR1-<KIND>-<sha256 of the CA certificate, 64 hex>-<secret, 64 hex>
// The holder trusts exactly that CA, so no certificate is ever accepted blindly, and the
// secret proves the holder may call. KIND is ADMIN (clusterctl) or JOIN (agents, builders).
public sealed class ClusterToken
{
    private const string Prefix = "CLSTR1";

    private ClusterToken(ClusterTokenKind kind, string caFingerprint, string secret)
    {
        Kind = kind;
        CaFingerprint = caFingerprint;
        Secret = secret;
    }

    public ClusterTokenKind Kind { get; }

    // Lowercase hex SHA-256 of the CA certificate's DER bytes.
    public string CaFingerprint { get; }

    public string Secret { get; }

    public static ClusterToken Create(ClusterTokenKind kind, string caFingerprint) =>
        new(kind, caFingerprint.ToLowerInvariant(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    public static bool TryParse(string? text, [NotNullWhen(true)] out ClusterToken? token, [NotNullWhen(false)] out string? error)
    {
        token = null;
        var parts = text?.Trim().Split('-');
        if (parts is not { Length: 4 } || parts[0] != Prefix)
        {
            error = "not a cluster token (expected CLSTR1-KIND-FINGERPRINT-SECRET, as printed by the leader)";
            return false;
        }

        ClusterTokenKind? kind = parts[1] switch
        {
            "ADMIN" => ClusterTokenKind.Admin,
            "JOIN" => ClusterTokenKind.Join,
            _ => null,
        };
        if (kind is null)
        {
            error = $"unknown token kind '{parts[1]}' (expected ADMIN or JOIN)";
            return false;
        }

        if (!IsHex(parts[2], 64) || !IsHex(parts[3], 64))
        {
            error = "malformed token: the CA fingerprint and the secret must be 64 hex characters each; copy the whole token again";
            return false;
        }

        token = new ClusterToken(kind.Value, parts[2].ToLowerInvariant(), parts[3].ToLowerInvariant());
        error = null;
        return true;
    }

    public static string FingerprintOf(ReadOnlySpan<byte> certificateDer) => Convert.ToHexStringLower(SHA256.HashData(certificateDer));

    // Constant-time comparison of the whole token, so a caller learns nothing from timing.
    public bool Matches(ClusterToken? other) =>
        other is not null && other.Kind == Kind &&
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(Format()), System.Text.Encoding.ASCII.GetBytes(other.Format()));

    // The full token text. Only for writing the token file and sending it; never for logs.
    public string Format() => $"{Prefix}-{(Kind == ClusterTokenKind.Admin ? "ADMIN" : "JOIN")}-{CaFingerprint}-{Secret}";

    public override string ToString() => $"{Prefix}-{(Kind == ClusterTokenKind.Admin ? "ADMIN" : "JOIN")}-{CaFingerprint[..12]}…-(secret redacted)";

    private static bool IsHex(string s, int length) => s.Length == length && s.All(Uri.IsHexDigit);
}
