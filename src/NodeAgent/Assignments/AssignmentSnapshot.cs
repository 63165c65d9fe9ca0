using System.Collections.Immutable;
using Cluster.NodeAgent.Credentials;

namespace Cluster.NodeAgent.Assignments;

// Everything the leader has assigned to this node at one revision. Immutable: readers (checks,
// pre-pulls, the docker config writer) take the current snapshot and use it without locks
// while the session publishes the next one.
internal sealed record AssignmentSnapshot(
    ulong Revision,
    ImmutableDictionary<string, NodeCredential> Credentials,
    ImmutableDictionary<string, PinnedImage> Pins)
{
    public static AssignmentSnapshot Empty { get; } = new(0, ImmutableDictionary<string, NodeCredential>.Empty, ImmutableDictionary<string, PinnedImage>.Empty);

    public override string ToString() => $"revision {Revision}: {Credentials.Count} credential(s), {Pins.Count} pinned image(s)";
}
