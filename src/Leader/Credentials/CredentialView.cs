namespace Cluster.Leader.Credentials;

// A credential as the admin API shows it: everything but the secret. Helper is set for
// credentials refreshed by a credential helper (Credentials/Helpers).
public sealed record CredentialView(
    string Id,
    string Name,
    string Provider,
    string Url,
    string Username,
    bool Insecure,
    bool PushOnly,
    long Revision,
    DateTime? VerifiedAt,
    Helpers.HelperState? Helper = null);
