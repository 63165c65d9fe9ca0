using Cluster.Core.Files;
using System.Security.Cryptography;
using System.Text;

namespace Cluster.Leader.Security;

// Encrypts credential secrets before they reach the database: AES-256-GCM (authenticated, so a
// tampered or swapped ciphertext fails instead of decrypting to garbage), with a binding as
// associated data: the record's id and what the secret is for (a registry credential's URL and
// username, see CredentialRecord.SecretBinding), so a secret copied onto another record, or a
// record pointed at another registry in the database file, does not decrypt (issue #9.6).
//
// Keys live apart from the database, in DIR/keys (0700), one 32-byte file per key id (0600),
// and DIR/keys/current names the key new secrets use. Old keys stay readable until
// `cluster-leader rotate-key` has re-encrypted every secret under a new key; then they are
// deleted. Stored form: "v2:<key id>:<base64(nonce | ciphertext | tag)>". Format v1 (before the
// binding) was bound to the record id alone, which is the binding's first line; it still opens,
// and the leader re-seals v1 secrets as v2 when it starts (KeyRotation.UpgradeBindings).
public sealed class SecretBox
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly UnixFileMode PrivateDir = OwnerOnly | UnixFileMode.UserExecute;

    private readonly string _keyDir;
    private readonly Dictionary<string, byte[]> _keys;

    private SecretBox(string keyDir, Dictionary<string, byte[]> keys, string currentKeyId)
    {
        _keyDir = keyDir;
        _keys = keys;
        CurrentKeyId = currentKeyId;
    }

    public string CurrentKeyId { get; private set; }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public static SecretBox LoadOrCreate(string keyDir)
    {
        Directory.CreateDirectory(keyDir, PrivateDir);
        File.SetUnixFileMode(keyDir, PrivateDir);
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(keyDir, "*.key"))
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length != 32)
            {
                throw new InvalidOperationException($"key file {file} is damaged: expected 32 bytes, found {bytes.Length}; restore it from your backup of the data dir");
            }

            keys[Path.GetFileNameWithoutExtension(file)] = bytes;
        }

        var currentFile = Path.Combine(keyDir, "current");
        if (keys.Count == 0)
        {
            var box = new SecretBox(keyDir, keys, "");
            box.AddNewKey();
            return box;
        }

        var current = File.Exists(currentFile) ? File.ReadAllText(currentFile).Trim() : "";
        if (!keys.ContainsKey(current))
        {
            throw new InvalidOperationException($"{currentFile} names key '{current}', which is not in {keyDir}; restore the keys directory from your backup of the data dir");
        }

        return new SecretBox(keyDir, keys, current);
    }

    // binding: the record id, then (optionally) "\n"-separated facts the secret is bound to.
    public string Seal(string plaintext, string binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(plaintext);
        var key = _keys[CurrentKeyId];
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + data.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, data, output.AsSpan(NonceSize, data.Length), output.AsSpan(NonceSize + data.Length), Encoding.UTF8.GetBytes(binding));
        }

        CryptographicOperations.ZeroMemory(data);
        return $"v2:{CurrentKeyId}:{Convert.ToBase64String(output)}";
    }

    // CryptographicException when the text is damaged, its key is gone, or it was sealed for
    // another binding (another record, URL or username).
    public string Open(string sealedText, string binding)
    {
        ArgumentNullException.ThrowIfNull(sealedText);
        ArgumentNullException.ThrowIfNull(binding);
        var recordId = RecordIdOf(binding);
        var parts = sealedText.Split(':', 3);
        if (parts.Length != 3 || parts[0] is not ("v1" or "v2"))
        {
            throw new CryptographicException($"secret of record {recordId} is not in a known format");
        }

        if (!_keys.TryGetValue(parts[1], out var key))
        {
            throw new CryptographicException($"secret of record {recordId} was sealed with key '{parts[1]}', which is not in {_keyDir}; restore the keys directory from the same backup as the database");
        }

        var input = Convert.FromBase64String(parts[2]);
        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException($"secret of record {recordId} is truncated");
        }

        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, plain.Length), input.AsSpan(NonceSize + plain.Length), plain, Encoding.UTF8.GetBytes(parts[0] == "v1" ? recordId : binding));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException($"secret of record {recordId} does not open for this record: it was sealed for another record, registry URL or username, or the database was altered; add the credential again");
        }

        return Encoding.UTF8.GetString(plain);
    }

    public bool IsSealedWithCurrentKey(string sealedText) =>
        sealedText.StartsWith($"v2:{CurrentKeyId}:", StringComparison.Ordinal);

    // Sealed before secrets were bound to more than their record id (format v1).
    public static bool IsLegacy(string sealedText) =>
        sealedText.StartsWith("v1:", StringComparison.Ordinal);

    private static string RecordIdOf(string binding) =>
        binding.IndexOf('\n', StringComparison.Ordinal) is var end and >= 0 ? binding[..end] : binding;

    // Creates a new key and makes it current. Existing secrets stay readable with their old key.
    public string AddNewKey()
    {
        var id = DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var key = RandomNumberGenerator.GetBytes(32);
        var path = Path.Combine(_keyDir, id + ".key");
        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            stream.Write(key);
            stream.Flush(flushToDisk: true);
        }

        _keys[id] = key;
        PrivateFile.WriteText(Path.Combine(_keyDir, "current"), id + "\n", OwnerOnly);
        CurrentKeyId = id;
        return id;
    }

    // Deletes every key but the current one. Only after all secrets are sealed with it.
    public void RemoveKeysExceptCurrent()
    {
        foreach (var id in _keys.Keys.Where(id => id != CurrentKeyId).ToList())
        {
            PrivateFile.Delete(Path.Combine(_keyDir, id + ".key"));
            CryptographicOperations.ZeroMemory(_keys[id]);
            _keys.Remove(id);
        }
    }
}
