using Cluster.Core.Docker;
using Cluster.Leader.Storage;
using Docker.DotNet.Models;

namespace Cluster.Leader.Apps;

// Finds an app's swarm service the only safe way: by exact name, then checked for the app's
// ownership (ServiceOwnership). Every leader path that reads a service in order to change or
// remove it goes through here.
public sealed class OwnedServices(DockerEngine engine)
{
    // The app's service (null when there is none), or the refusal when a service of that name
    // exists but is not the app's.
    public async Task<(SwarmService? Service, string? Refusal)> FindAsync(AppRecord app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        var service = await engine.FindServiceAsync(app.Name, cancellationToken);
        if (service is null)
        {
            return (null, null);
        }

        return ServiceOwnership.IsOwnedBy(service, app) ? (service, null) : (null, ServiceOwnership.Refusal(service, app));
    }
}
