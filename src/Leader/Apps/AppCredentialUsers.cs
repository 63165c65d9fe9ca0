using Cluster.Leader.Credentials;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Apps;

// Apps that name a credential (`app create --registry NAME`).
public sealed class AppCredentialUsers(LeaderDatabase db) : ICredentialUsers
{
    public IReadOnlyList<string> AppsUsing(string credentialName) =>
        db.Read(d => d.Apps.Find(a => a.Registry == credentialName).Select(a => a.Name).OrderBy(n => n, StringComparer.Ordinal).ToList());
}
