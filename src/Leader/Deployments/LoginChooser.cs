using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Credentials;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Deployments;

// Which stored credential the leader uses for an app's image: the app's own when it names one,
// else the most specific stored match for the image (kubelet's keyring rule), else none
// (anonymous). Push-only (build) credentials are never used to pull.
public sealed class LoginChooser(CredentialService credentials)
{
    public (RegistryLogin? Login, bool Insecure, string? Name) For(AppRecord app, ImageReference image)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(image);
        if (app.Registry.Length > 0 && credentials.Get(app.Registry) is { PushOnly: false } view)
        {
            return (credentials.LoginOf(app.Registry), view.Insecure, view.Name);
        }

        var ring = new CredentialKeyring<CredentialView>();
        foreach (var c in credentials.List().Where(c => !c.PushOnly))
        {
            ring.Add(c.Url, c);
        }

        return ring.Lookup(image) is [var best, ..] ? (credentials.LoginOf(best.Name), best.Insecure, best.Name) : (null, false, null);
    }
}
