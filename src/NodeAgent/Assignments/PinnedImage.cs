namespace Cluster.NodeAgent.Assignments;

// An image an app that may run on this node currently runs, pinned by digest
// ("repo:tag@sha256:..."): pre-pulled before swarm schedules a task here.
internal sealed record PinnedImage(string AppId, string Image);
