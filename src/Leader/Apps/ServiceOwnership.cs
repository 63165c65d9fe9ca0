using Cluster.Leader.Storage;
using Docker.DotNet.Models;

namespace Cluster.Leader.Apps;

// Which swarm service belongs to which app. A service is the app's only when it has the app's
// exact name (DockerEngine.FindServiceAsync never matches IDs or ID prefixes) AND carries the
// app's labels, or when the operator adopted it by ID at `app create --adopt`. The leader never
// updates or removes any other service: a same-named service of someone else's is refused,
// not replaced.
public static class ServiceOwnership
{
    // The app's name, on the service and its containers (also what operators filter by).
    public const string AppLabel = "cluster.app";

    // The app's id: a new app that reuses a removed app's name does not inherit its service.
    public const string AppIdLabel = "cluster.app-id";

    public static IReadOnlyDictionary<string, string> LabelsFor(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new Dictionary<string, string>(StringComparer.Ordinal) { [AppLabel] = app.Name, [AppIdLabel] = app.Id };
    }

    public static bool IsOwnedBy(SwarmService service, AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(app);
        if (app.AdoptServiceId.Length > 0 && service.ID == app.AdoptServiceId)
        {
            return true;
        }

        // A service made by a leader from before app ids has the name label only.
        var labels = service.Spec?.Labels;
        return labels is not null &&
            labels.TryGetValue(AppLabel, out var name) && name == app.Name &&
            (labels.TryGetValue(AppIdLabel, out var id) ? id == app.Id : true);
    }

    // Why a service is not the app's, in words for the operator, with what to do.
    public static string Refusal(SwarmService service, AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(app);
        return $"swarm service '{service.Spec?.Name}' ({Describe(service)}) is not managed by app '{app.Name}': {Whose(service)}; it is left untouched. Remove or rename it, or create the app with `clusterctl app create {app.Name} ... --adopt` to take it over";
    }

    // Whose labels a service carries, in words.
    public static string Whose(SwarmService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var labels = service.Spec?.Labels;
        if (labels is null || !labels.TryGetValue(AppLabel, out var owner))
        {
            return "it has no cluster.app label (it was not created by this cluster)";
        }

        return labels.TryGetValue(AppIdLabel, out var id)
            ? $"it is labeled for app '{owner}' (id {id})"
            : $"it is labeled for app '{owner}' without an app id";
    }

    // "id 1a2b3c4d5e6f, image nginx:1.25, 2 replicas".
    public static string Describe(SwarmService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var id = service.ID is { Length: > 12 } full ? full[..12] : service.ID;
        var image = service.Spec?.TaskTemplate?.ContainerSpec?.Image ?? "no image";
        var replicas = service.Spec?.Mode?.Replicated?.Replicas is { } r ? $"{r} replica{(r == 1 ? "" : "s")}" : "global";
        return $"id {id}, image {image}, {replicas}";
    }
}
