using Cluster.Leader.Apps;
using Cluster.Leader.Deployments;
using Cluster.Leader.Storage;
using Docker.DotNet.Models;

// Docker.DotNet's models are nullable throughout; every spec here comes from ServiceSpecs.Build,
// so each part a row touches exists.
#nullable disable warnings

namespace Cluster.Leader.Tests.Deployments;

// Whether a service's current spec already is what a deployment would write (ServiceSpecs.Same):
// then the rollout changes nothing and restarts no task. What counts: the pinned image, env,
// constraints, replicas, published ports and the app's ownership labels. What does not: the
// order env and ports come back in from swarm, labels others added, update/rollback/restart
// settings (the leader's own, written with every change anyway).
public sealed class ServiceSpecsTests
{
    private const string Image = "registry.example/acme/web:1.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    public static TheoryData<string, Action<ServiceSpec>, bool> Changes => new()
    {
        // what swarm holds differs from what the app wants by..., still the same
        { "nothing", _ => { }, true },
        { "another digest", s => s.TaskTemplate.ContainerSpec.Image = Image.Replace("aaaa", "bbbb", StringComparison.Ordinal), false },
        { "the same digest under another tag", s => s.TaskTemplate.ContainerSpec.Image = Image.Replace(":1.0@", ":2.0@", StringComparison.Ordinal), false },
        { "an env value", s => s.TaskTemplate.ContainerSpec.Env = ["LOG=debug", "MODE=test"], false },
        { "an env entry less", s => s.TaskTemplate.ContainerSpec.Env = ["LOG=info"], false },
        { "env in another order", s => s.TaskTemplate.ContainerSpec.Env = ["MODE=prod", "LOG=info"], false },
        { "a constraint", s => s.TaskTemplate.Placement.Constraints = ["node.role==worker"], false },
        { "no placement at all", s => s.TaskTemplate.Placement = null, false },
        { "replicas", s => s.Mode.Replicated.Replicas = 3, false },
        { "a published port", s => s.EndpointSpec.Ports[0].PublishedPort = 8081, false },
        { "a port's protocol", s => s.EndpointSpec.Ports[0].Protocol = "udp", false },
        { "no ports", s => s.EndpointSpec = null, false },
        { "ports in another order", s => s.EndpointSpec.Ports = [.. s.EndpointSpec.Ports.AsEnumerable().Reverse()], true },
        { "the ownership labels missing (a service to adopt)", s => s.Labels = new Dictionary<string, string>(), false },
        { "the owner label naming another app", s => s.Labels[ServiceOwnership.AppLabel] = "other", false },
        { "the app id label of an earlier app of that name", s => s.Labels[ServiceOwnership.AppIdLabel] = "old-id", false },
        { "labels someone else added", s => s.Labels["com.example.team"] = "payments", true },
        { "update and rollback settings", s => { s.UpdateConfig.Parallelism = 4; s.RollbackConfig = null; }, true },
        { "the restart policy", s => s.TaskTemplate.RestartPolicy = null, true },
        { "no container spec", s => s.TaskTemplate.ContainerSpec = null, false },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Same_CurrentSpecDiffersBy_IsAChangeOrNot(string difference, Action<ServiceSpec> change, bool same)
    {
        var wanted = ServiceSpecs.Build(App(), Image);
        var current = ServiceSpecs.Build(App(), Image);

        change(current);

        Assert.True(ServiceSpecs.Same(current, wanted) == same, $"{difference}: expected {(same ? "the same" : "a change")}");
    }

    // Swarm hands back what it was given, with empty lists left out: an app without env,
    // constraints or ports is still the same when they come back null.
    [Fact]
    public void Same_EmptyListsComeBackNull_StillTheSame()
    {
        var app = App();
        app.Env.Clear();
        app.Constraints.Clear();
        app.Publish.Clear();
        var wanted = ServiceSpecs.Build(app, Image);
        var current = ServiceSpecs.Build(app, Image);
        current.TaskTemplate.ContainerSpec.Env = null;
        current.TaskTemplate.Placement.Constraints = null;

        Assert.True(ServiceSpecs.Same(current, wanted));
    }

    [Fact]
    public void Build_App_PinnedImageSortedEnvOwnershipAndPorts()
    {
        var spec = ServiceSpecs.Build(App(), Image);

        Assert.Equal("web", spec.Name);
        Assert.Equal(Image, spec.TaskTemplate.ContainerSpec.Image);
        Assert.Equal(["LOG=info", "MODE=prod"], spec.TaskTemplate.ContainerSpec.Env);
        Assert.Equal(["node.labels.zone==a"], spec.TaskTemplate.Placement.Constraints);
        Assert.Equal(2UL, spec.Mode.Replicated.Replicas);
        Assert.Equal(new Dictionary<string, string> { [ServiceOwnership.AppLabel] = "web", [ServiceOwnership.AppIdLabel] = "app-1" }, spec.Labels);
        Assert.Equal(["8080:80/tcp", "5353:53/udp"], spec.EndpointSpec.Ports.Select(p => $"{p.PublishedPort}:{p.TargetPort}/{p.Protocol}"));
        Assert.Equal(new Dictionary<string, string> { [ServiceOwnership.AppLabel] = "web" }, spec.TaskTemplate.ContainerSpec.Labels);
    }

    // With a published port the old task must stop first (the port is taken); without, the new
    // task starts first. A failed update rolls back.
    [Theory]
    [InlineData(true, "stop-first")]
    [InlineData(false, "start-first")]
    public void Build_UpdateOrder_FollowsPublishedPorts(bool publish, string order)
    {
        var app = App();
        if (!publish)
        {
            app.Publish.Clear();
        }

        var spec = ServiceSpecs.Build(app, Image);

        Assert.Equal(order, spec.UpdateConfig.Order);
        Assert.Equal("rollback", spec.UpdateConfig.FailureAction);
        Assert.Equal(publish, spec.EndpointSpec is not null);
    }

    private static AppRecord App() => new()
    {
        Id = "app-1",
        Name = "web",
        Image = "registry.example/acme/web",
        Tag = "1.0",
        Replicas = 2,
        Env = new() { ["MODE"] = "prod", ["LOG"] = "info" },
        Constraints = ["node.labels.zone==a"],
        Publish = ["8080:80", "5353:53/udp"],
    };
}
