using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Cluster.Core.Registry;

// Bearer tokens by (registry, token server, service, scope, credential). The credential part is
// a SHA-256 fingerprint of user name and secret, so a token obtained with one password is never
// handed out for another (a wrong password must reach the token server and fail there), and the
// key itself reveals neither. A token is served only until shortly before it expires, by the
// injected clock.
internal sealed class TokenCache
{
    private const int MaxEntries = 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public TokenCache(TimeProvider time) => _time = time;

    public int Count => _entries.Count;

    public static string Key(string apiHost, Uri realm, string? service, string scope, RegistryLogin? login) =>
        string.Join('\n', apiHost.ToLowerInvariant(), realm.AbsoluteUri, service ?? string.Empty, scope, Fingerprint(login));

    // The earliest moment the token may be refused: its lifetime counted from the earlier of "now"
    // and the server's issued_at (a token server whose clock runs ahead must not extend it), less
    // a margin of a tenth of the lifetime, at most 10 s, for the requests still in flight.
    public static DateTimeOffset UsableUntil(DateTimeOffset receivedAt, DateTimeOffset? issuedAt, TimeSpan lifetime)
    {
        var start = issuedAt is { } issued && issued < receivedAt ? issued : receivedAt;
        var margin = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, TimeSpan.FromSeconds(10).Ticks));
        return start + lifetime - margin;
    }

    public bool TryGet(string key, out string token)
    {
        if (_entries.TryGetValue(key, out var entry) && _time.GetUtcNow() < entry.UsableUntil)
        {
            token = entry.Token;
            return true;
        }

        token = string.Empty;
        return false;
    }

    public void Store(string key, string token, DateTimeOffset usableUntil)
    {
        if (_entries.Count >= MaxEntries)
        {
            var now = _time.GetUtcNow();
            foreach (var (k, e) in _entries)
            {
                if (e.UsableUntil <= now)
                {
                    _entries.TryRemove(k, out _);
                }
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }
        }

        _entries[key] = new Entry(token, usableUntil);
    }

    public void Remove(string key) => _entries.TryRemove(key, out _);

    private static string Fingerprint(RegistryLogin? login)
    {
        if (login is null)
        {
            return "anonymous";
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(login.Username + "\0" + login.Secret));
        return login.Username + ":" + Convert.ToHexString(hash);
    }

    private sealed record Entry(string Token, DateTimeOffset UsableUntil)
    {
        public override string ToString() => $"token (redacted) usable until {UsableUntil:O}";
    }
}
