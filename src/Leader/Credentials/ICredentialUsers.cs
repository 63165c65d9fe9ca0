namespace Cluster.Leader.Credentials;

// Which apps use a credential, so removing it can be refused naming them. Answered by the apps
// feature (Apps/AppCredentialUsers): Credentials depends on no app type.
public interface ICredentialUsers
{
    // App names, ordered.
    IReadOnlyList<string> AppsUsing(string credentialName);
}
