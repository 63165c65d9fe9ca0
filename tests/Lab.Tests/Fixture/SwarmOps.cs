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

    // Takes a worker out of the swarm (as `docker swarm leave --force` on it, then `docker node rm`
    // on the manager), so the manager lists one node fewer.
    public static async Task LeaveAsync(DockerEngine manager, DockerEngine worker)
    {
        var info = await worker.GetInfoAsync(CancellationToken.None);
        if (info.SwarmNodeId is not { } id)
        {
            return;
        }

        await worker.Client.Swarm.LeaveSwarmAsync(new SwarmLeaveParameters { Force = true });
        await RemoveNodeAsync(manager, id);
    }

    // Joins a lab node's engine to the manager's swarm as a worker, as lab.sh does at `up`; a node
    // already in the swarm is left as it is. Stale entries of its earlier membership (same
    // hostname, down) are removed from the manager's list.
    public static async Task JoinAsync(DockerEngine manager, DockerEngine worker, LabEnvironment env, int node)
    {
        var info = await worker.GetInfoAsync(CancellationToken.None);
        if (info.SwarmNodeId is null)
        {
            var swarm = await manager.Client.Swarm.InspectSwarmAsync();
            await worker.Client.Swarm.JoinSwarmAsync(new SwarmJoinParameters
            {
                JoinToken = swarm.JoinTokens!.Worker,
                RemoteAddrs = [env["LAB_SWARM_ADDR"]],
                AdvertiseAddr = env[$"LAB_NODE{node}_IP"],
                ListenAddr = $"{env[$"LAB_NODE{node}_IP"]}:2377",
            });
            info = await worker.GetInfoAsync(CancellationToken.None);
        }

        foreach (var stale in (await manager.Client.Swarm.ListNodesAsync()).Where(n => n.Description?.Hostname == env.NodeHostname(node) && n.ID != info.SwarmNodeId))
        {
            await RemoveNodeAsync(manager, stale.ID);
        }
    }

    // `docker node rm --force`; a node that is gone already counts as removed.
    private static async Task RemoveNodeAsync(DockerEngine manager, string id)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await manager.Client.Swarm.RemoveNodeAsync(id, force: true);
                return;
            }
            catch (global::Docker.DotNet.DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return;
            }
            catch (global::Docker.DotNet.DockerApiException) when (attempt < 20)
            {
                // The manager may still see the node as up for a moment after it left.
                await Task.Delay(500);
            }
        }
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
