namespace Cluster.Leader.AutoSync;

// A check handed out by SyncPlanner.TakeDue: the ref, and the webhook that asked for it (null
// when the interval did).
public sealed record DueCheck(SyncRef Ref, string? PokedBy);
