using System.Globalization;
using Cluster.Leader.Apps;
using Cluster.Leader.Storage;
using Docker.DotNet.Models;

namespace Cluster.Leader.Deployments;

// The swarm service spec of an app. The image is always pinned (repo:tag@digest): swarm then
// runs exactly what was pre-pulled on every node, and a rescheduled task can never pick up a
// different image under the same tag. Updates start new tasks first and roll back on failure.
// The service carries the app's ownership labels (ServiceOwnership) and no registry auth.
public static class ServiceSpecs
{
    public static ServiceSpec Build(AppRecord app, string pinnedImage)
    {
        ArgumentNullException.ThrowIfNull(app);
        var ports = app.Publish.Select(p =>
        {
            var parts = p.Split('/', 2);
            var numbers = parts[0].Split(':');
            return new PortConfig
            {
                PublishedPort = uint.Parse(numbers[0], CultureInfo.InvariantCulture),
                TargetPort = uint.Parse(numbers[1], CultureInfo.InvariantCulture),
                Protocol = parts.Length > 1 ? parts[1] : "tcp",
                PublishMode = "ingress",
            };
        }).ToList();
        return new ServiceSpec
        {
            Name = app.Name,
            Labels = new Dictionary<string, string>(ServiceOwnership.LabelsFor(app)),
            TaskTemplate = new TaskSpec
            {
                ContainerSpec = new ContainerSpec
                {
                    Image = pinnedImage,
                    Env = app.Env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ToList(),
                    Labels = new Dictionary<string, string> { [ServiceOwnership.AppLabel] = app.Name },
                },
                Placement = new Docker.DotNet.Models.Placement { Constraints = [.. app.Constraints] },
                RestartPolicy = new SwarmRestartPolicy { Condition = "any", Delay = TimeSpan.FromSeconds(2) },
            },
            Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = (ulong)app.Replicas } },
            UpdateConfig = new SwarmUpdateConfig
            {
                Parallelism = 1,
                Order = ports.Count == 0 ? "start-first" : "stop-first",
                FailureAction = "rollback",
                Monitor = TimeSpan.FromSeconds(5),
                MaxFailureRatio = 0,
            },
            RollbackConfig = new SwarmUpdateConfig
            {
                Parallelism = 1,
                Order = ports.Count == 0 ? "start-first" : "stop-first",
                FailureAction = "pause",
                Monitor = TimeSpan.FromSeconds(5),
            },
            EndpointSpec = ports.Count == 0 ? null : new EndpointSpec { Ports = ports },
        };
    }

    // Whether the running spec already is what we would send: then a deployment changes nothing
    // and must not restart tasks. The ownership labels count: an adopted service gets them.
    public static bool Same(ServiceSpec current, ServiceSpec wanted)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(wanted);
        var c = current.TaskTemplate?.ContainerSpec;
        var w = wanted.TaskTemplate!.ContainerSpec!;
        return c is not null &&
            c.Image == w.Image &&
            wanted.Labels!.All(l => current.Labels is not null && current.Labels.TryGetValue(l.Key, out var v) && v == l.Value) &&
            (c.Env ?? []).SequenceEqual(w.Env ?? []) &&
            (current.TaskTemplate?.Placement?.Constraints ?? []).SequenceEqual(wanted.TaskTemplate.Placement?.Constraints ?? []) &&
            current.Mode?.Replicated?.Replicas == wanted.Mode?.Replicated?.Replicas &&
            Ports(current).SequenceEqual(Ports(wanted));
    }

    private static IEnumerable<string> Ports(ServiceSpec spec) =>
        (spec.EndpointSpec?.Ports ?? []).Select(p => $"{p.PublishedPort}:{p.TargetPort}/{p.Protocol}").Order(StringComparer.Ordinal);
}
