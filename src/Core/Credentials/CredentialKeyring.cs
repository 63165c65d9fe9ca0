using Cluster.Core.Images;

namespace Cluster.Core.Credentials;

// Picks the credentials for an image the way kubelet's keyring does: entries are keyed by
// host[:port][/path-prefix] (a leading "*." matches one or more subdomain levels), every entry
// that matches the image is returned, most specific first (an exact host before a wildcard,
// then the longest path prefix), so callers try each in turn and report every failure, not only
// the last. docker.io, index.docker.io and registry-1.docker.io are one registry.
public sealed class CredentialKeyring<T>
{
    private readonly List<(KeyringKey Key, T Value)> _entries = [];

    public int Count => _entries.Count;

    public void Add(string match, T value) => _entries.Add((KeyringKey.Parse(match), value));

    public IReadOnlyList<T> Lookup(ImageReference image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Lookup(image.Registry, image.Repository);
    }

    public IReadOnlyList<T> Lookup(string registry, string repository)
    {
        var host = KeyringKey.NormalizeHost(registry);
        return _entries
            .Where(e => e.Key.Matches(host, repository))
            .OrderBy(e => e.Key.IsWildcard ? 1 : 0)
            .ThenByDescending(e => e.Key.Path.Length)
            .ThenByDescending(e => e.Key.Host.Length)
            .Select(e => e.Value)
            .ToList();
    }
}
