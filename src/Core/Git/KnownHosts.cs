using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cluster.Core.Git;

// known_hosts text (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): parsed, matched against a host the
// way ssh matches it (patterns with * ? and !negation, hashed |1|salt|hash names, "[host]:port"
// for ports other than 22), and fingerprinted like ssh-keygen -l. Used to pin a Git server's host
// keys: the leader keeps only the entries for the credential's host; the builder names the
// expected fingerprints when ssh refuses a changed key.
public static class KnownHosts
{
    public const int MaxLength = 64 * 1024;

    // The name ssh looks a host up by: "host" on port 22, "[host]:port" otherwise.
    public static string HostKeyName(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        return port == GitRemote.DefaultSshPort ? host : $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    // "SHA256:<unpadded base64 of SHA-256(blob)>", as ssh prints it.
    public static string Fingerprint(ReadOnlySpan<byte> blob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');

    // Every key line of `text` (comments and blank lines skipped). FormatException names the
    // line (by number) that is not "[@marker] hosts keytype base64 [comment]" with a key of that type.
    public static IReadOnlyList<KnownHostEntry> Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw new FormatException($"{source} is larger than {MaxLength / 1024} KiB");
        }

        var entries = new List<KnownHostEntry>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var marker = "";
            if (fields[0].StartsWith('@'))
            {
                marker = fields[0];
                if (marker is not ("@cert-authority" or "@revoked"))
                {
                    throw new FormatException($"{source} line {number}: unknown marker '{marker}' (known: @cert-authority, @revoked)");
                }

                fields = fields[1..];
            }

            if (fields.Length < 3)
            {
                throw new FormatException($"{source} line {number} is not a known_hosts line (\"host keytype base64-key\"); ssh-keyscan -p PORT HOST prints such lines");
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(fields[2]);
            }
            catch (FormatException)
            {
                throw new FormatException($"{source} line {number}: the key is not base64");
            }

            if (BlobType(blob) != fields[1])
            {
                throw new FormatException($"{source} line {number}: the key is not of type '{fields[1]}'");
            }

            entries.Add(new KnownHostEntry(marker, fields[0], fields[1], fields[2]));
        }

        return entries;
    }

    // The type string an SSH public key blob starts with ("" when it has none).
    public static string BlobType(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4)
        {
            return "";
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(blob);
        return length <= (uint)(blob.Length - 4) && length <= 64 ? Encoding.ASCII.GetString(blob.Slice(4, (int)length)) : "";
    }

    // ssh's match_hostname: a comma-separated list of patterns; any negated match refuses, else
    // any positive match accepts. A hashed entry matches one exact name.
    internal static bool HostsMatch(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
        {
            var parts = hosts.Split('|');
            if (parts.Length != 4)
            {
                return false;
            }

            try
            {
                var salt = Convert.FromBase64String(parts[2]);
                var hash = Convert.FromBase64String(parts[3]);
                // The format fixes HMAC-SHA1 (ssh's HashKnownHosts); it only hides names, it secures nothing here.
#pragma warning disable CA5350
                return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)), hash);
#pragma warning restore CA5350
            }
            catch (FormatException)
            {
                return false;
            }
        }

        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            var negated = pattern.StartsWith('!');
            if (Wildcard(negated ? pattern[1..] : pattern, name))
            {
                if (negated)
                {
                    return false;
                }

                matched = true;
            }
        }

        return matched;
    }

    private static bool Wildcard(string pattern, string name)
    {
        var p = pattern.ToLowerInvariant();
        var n = name.ToLowerInvariant();
        int pi = 0, ni = 0, star = -1, mark = 0;
        while (ni < n.Length)
        {
            if (pi < p.Length && (p[pi] == '?' || p[pi] == n[ni]))
            {
                pi++;
                ni++;
            }
            else if (pi < p.Length && p[pi] == '*')
            {
                star = pi++;
                mark = ni;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                ni = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }
}
