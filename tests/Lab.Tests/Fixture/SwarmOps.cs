using Cluster.Core.Docker;
using Docker.DotNet.Models;

namespace Cluster.Lab.Tests.Fixture;

// Swarm chores several lab tests share, through the manager's engine.
internal static class SwarmOps
{
    // The service's tasks that swarm wants running and that are running.
    public static async Task<IReadOnlyList<TaskResponse>> RunningTasksAsync(DockerEngine manager, string service)
    {
        var tasks = await manager.Client.Tasks.ListAsync(new TasksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [service] = true } },
        });
        return tasks.Where(t => t.DesiredState == TaskState.Running && t.Status?.State == TaskState.Running).ToList();
    }

    // "active", "pause" or "drain".
    public static async Task SetAvailabilityAsync(DockerEngine manager, string nodeId, string availability)
    {
        var node = await manager.Client.Swarm.InspectNodeAsync(nodeId);
        var spec = node.Spec!;
        spec.Availability = availability;
        await manager.Client.Swarm.UpdateNodeAsync(nodeId, node.Version!.Index ?? 0, spec);
    }
}
