using System.Text.Json;
using Cluster.Core.Files;

namespace Cluster.NodeJoin;

// What the running daemon last knew about its place in the cluster, in its state dir
// (status.json), so installers and operators ask the daemon's own answer (`cluster-agent
// status`) instead of reading its log wording. Written on every change of state; never holds a
// token or a secret (reasons are the daemon's own one-line messages, which never do).
internal sealed class NodeStatusFile(string stateDir)
{
    public const string Connected = "connected";
    public const string Retrying = "retrying";
    public const string Removed = "removed";
    public const string Duplicate = "duplicate";

    public string Path => System.IO.Path.Combine(stateDir, "status.json");

    public void Write(string state, string nodeId, string reason, DateTimeOffset at)
    {
        var json = JsonSerializer.Serialize(new NodeStatus(state, nodeId, reason, at), NodeStatusJson.Default.NodeStatus);
        try
        {
            PrivateFile.WriteText(Path, json + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Status is advisory; the session goes on.
        }
    }

    public NodeStatus? Read()
    {
        try
        {
            return File.Exists(Path) ? JsonSerializer.Deserialize(File.ReadAllText(Path), NodeStatusJson.Default.NodeStatus) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
