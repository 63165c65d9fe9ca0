using System.Buffers.Binary;
using System.Text;

namespace Cluster.Core.Git;

// What `--ssh-key-file` may hold: exactly one OpenSSH private key without a passphrase (a build
// server loads it unattended; it cannot type one). Anything else is refused with what to pass
// instead: a public key, a passphrase-protected key, a PEM or PuTTY key. Inspect reads only the
// key's unencrypted public half; no message ever quotes the file's content.
public static class SshPrivateKey
{
    // Ed25519 keys are ~400 bytes, RSA-4096 ~3.4 KB; more is not a key.
    public const int MaxLength = 16 * 1024;

    private const string Begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private const string End = "-----END OPENSSH PRIVATE KEY-----";
    private static readonly byte[] Magic = "openssh-key-v1\0"u8.ToArray();

    // The key as ssh-add reads it: LF line ends, surrounding blank space dropped, one final newline.
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim() + "\n";
    }

    // Checks `text` (the content of `source`, named in messages) and returns the public half.
    // FormatException: the message says what the file is and what to pass instead.
    public static SshPublicKey Inspect(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new FormatException($"{source} is empty; pass an OpenSSH private key file (e.g. one made with ssh-keygen -t ed25519 -N '' -f deploy_key)");
        }

        if (trimmed.Length > MaxLength)
        {
            throw new FormatException($"{source} is larger than {MaxLength / 1024} KiB: not an SSH private key");
        }

        if (IsPublicKey(trimmed))
        {
            throw new FormatException($"{source} is a public key; pass the private key file to --ssh-key-file (the same name without .pub, e.g. ~/.ssh/deploy_key) and register the public key with the Git server as a deploy key");
        }

        if (trimmed.StartsWith("PuTTY-User-Key-File-", StringComparison.Ordinal))
        {
            throw new FormatException($"{source} is a PuTTY key; export it in OpenSSH format first (puttygen KEY.ppk -O private-openssh-new -o deploy_key) and pass that file");
        }

        if (trimmed.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal) || trimmed.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw Encrypted(source);
        }

        if (trimmed.StartsWith("-----BEGIN ", StringComparison.Ordinal) && !trimmed.StartsWith(Begin, StringComparison.Ordinal) && trimmed.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new FormatException($"{source} is a PEM private key; rewrite a copy in OpenSSH format and pass that (cp {source} deploy_key && ssh-keygen -p -f deploy_key)");
        }

        if (!trimmed.StartsWith(Begin, StringComparison.Ordinal) || !trimmed.EndsWith(End, StringComparison.Ordinal))
        {
            throw new FormatException($"{source} is not an SSH private key; pass a file that starts with \"{Begin}\" (ssh-keygen -t ed25519 -N '' -f deploy_key makes one)");
        }

        byte[] body;
        try
        {
            body = Convert.FromBase64String(trimmed[Begin.Length..^End.Length]);
        }
        catch (FormatException)
        {
            throw Damaged(source);
        }

        if (!body.AsSpan().StartsWith(Magic))
        {
            throw Damaged(source);
        }

        var reader = new SshWireReader(body, Magic.Length);
        if (!reader.TryString(out var cipher) || !reader.TryString(out _) || !reader.TryString(out _) || !reader.TryUInt32(out var count))
        {
            throw Damaged(source);
        }

        if (Encoding.ASCII.GetString(cipher) != "none")
        {
            throw Encrypted(source);
        }

        if (count != 1)
        {
            throw new FormatException($"{source} holds {count} keys; pass a file with exactly one private key");
        }

        if (!reader.TryString(out var blob) || !new SshWireReader(blob, 0).TryString(out var type))
        {
            throw Damaged(source);
        }

        return new SshPublicKey(Encoding.ASCII.GetString(type), Convert.ToBase64String(blob), KnownHosts.Fingerprint(blob));
    }

    private static bool IsPublicKey(string text) =>
        text.StartsWith("ssh-", StringComparison.Ordinal) ||
        text.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) ||
        text.StartsWith("sk-", StringComparison.Ordinal) ||
        text.StartsWith("---- BEGIN SSH2 PUBLIC KEY ----", StringComparison.Ordinal) ||
        text.StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal) ||
        text.StartsWith("-----BEGIN RSA PUBLIC KEY-----", StringComparison.Ordinal);

    private static FormatException Encrypted(string source) =>
        new($"{source} is protected by a passphrase, which a build server cannot type; pass a deploy key without one (ssh-keygen -t ed25519 -N '' -f deploy_key) or remove the passphrase from a copy (cp {source} deploy_key && ssh-keygen -p -N '' -f deploy_key)");

    private static FormatException Damaged(string source) =>
        new($"{source} looks like an OpenSSH private key but cannot be decoded; pass the file exactly as ssh-keygen wrote it");

    // SSH wire format (RFC 4251): uint32 big-endian lengths before strings.
    private ref struct SshWireReader(ReadOnlySpan<byte> data, int offset)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _offset = offset;

        public bool TryUInt32(out uint value)
        {
            value = 0;
            if (_offset + 4 > _data.Length)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt32BigEndian(_data[_offset..]);
            _offset += 4;
            return true;
        }

        public bool TryString(out byte[] value)
        {
            value = [];
            if (!TryUInt32(out var length) || length > (uint)(_data.Length - _offset))
            {
                return false;
            }

            value = _data.Slice(_offset, (int)length).ToArray();
            _offset += (int)length;
            return true;
        }
    }
}
