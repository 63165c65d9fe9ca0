namespace Cluster.NodeJoin.Housekeeping;

// The leader's prune_images order, whichever session brought it (agent.v1 or build.v1 carry the
// same two fields): keep the newest KeepPerApp images of each built app (0 = keep everything),
// and never remove one named in Keep (references as services and pins spell them).
internal sealed record PruneOrder(uint KeepPerApp, IReadOnlyList<string> Keep);
