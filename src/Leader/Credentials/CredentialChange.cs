namespace Cluster.Leader.Credentials;

// Published after a credential change has committed, with the revision it produced. Agents'
// sessions subscribe to stream it (issue #4); nothing here carries the secret.
public sealed record CredentialChange(string CredentialId, string Name, long Revision, bool Removed);
