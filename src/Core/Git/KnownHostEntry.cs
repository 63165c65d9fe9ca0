namespace Cluster.Core.Git;

// One known_hosts key line. Marker is "", "@cert-authority" or "@revoked"; Hosts the pattern
// list or hashed name; Key the base64 public key blob of type KeyType.
public sealed record KnownHostEntry(string Marker, string Hosts, string KeyType, string Key)
{
    public string Fingerprint => KnownHosts.Fingerprint(Convert.FromBase64String(Key));

    // True when ssh, connecting to `hostKeyName` ("host" or "[host]:port"), would use this line.
    public bool Matches(string hostKeyName) => KnownHosts.HostsMatch(Hosts, hostKeyName);

    // The line with its host field replaced by exactly `hostKeyName` (no patterns, no hashing):
    // what a pinned list keeps, readable and true for that one host only.
    public string LineFor(string hostKeyName) => $"{(Marker.Length > 0 ? Marker + " " : "")}{hostKeyName} {KeyType} {Key}";
}
