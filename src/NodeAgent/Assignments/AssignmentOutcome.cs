using Cluster.NodeAgent.Credentials;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Assignments;

// What applying one AssignmentSet did: the reply for the leader (Ack or ResyncRequest), and the
// changes that need work on the node (credentials to check through the engine, images to pull).
internal sealed record AssignmentOutcome
{
    public required AssignmentOutcomeKind Kind { get; init; }

    public AgentMessage? Reply { get; init; }

    // Why a resync was asked for, or why the set was ignored.
    public string? Reason { get; init; }

    public ulong Revision { get; init; }

    // New or changed credentials (any field, the secret included): each is checked again.
    public IReadOnlyList<NodeCredential> ChangedCredentials { get; init; } = [];

    public IReadOnlyList<string> RemovedCredentials { get; init; } = [];

    // Pins that are new or name another image than before.
    public IReadOnlyList<PinnedImage> ChangedPins { get; init; } = [];

    // Changes that were malformed and skipped (for the log).
    public IReadOnlyList<string> Skipped { get; init; } = [];
}
