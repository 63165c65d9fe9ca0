using System.Text.Json.Serialization;

namespace Cluster.NodeJoin;

// One line of state (NodeStatusFile): connected, retrying (with the reason), removed, duplicate.
internal sealed record NodeStatus(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("nodeId")] string NodeId,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("at")] DateTimeOffset At);

[JsonSerializable(typeof(NodeStatus))]
internal sealed partial class NodeStatusJson : JsonSerializerContext;
