using System.Collections.Immutable;
using Cluster.NodeAgent.Credentials;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Assignments;

// Applies the leader's assignment sets in swarmkit's way: a FULL set replaces everything; an
// INCREMENTAL set applies only on top of the revision it names (applies_to == held revision),
// otherwise the chain is broken and the node asks for a re-sync instead of guessing, then drops
// INCREMENTAL sets until the FULL one arrives. Every applied set is acknowledged with the
// revision it results in. One chain per session: a new session starts with a FULL set.
internal sealed class AssignmentChain(AssignmentStore store)
{
    private bool _awaitingFull;

    public bool AwaitingFull => _awaitingFull;

    public AssignmentOutcome Apply(AssignmentSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var held = store.Current;
        switch (set.Type)
        {
            case AssignmentSet.Types.Type.Full:
                _awaitingFull = false;
                return Publish(held, Build(AssignmentSnapshot.Empty, set, out var skippedFull), skippedFull);

            case AssignmentSet.Types.Type.Incremental when _awaitingFull:
                return new AssignmentOutcome
                {
                    Kind = AssignmentOutcomeKind.Ignored,
                    Revision = held.Revision,
                    Reason = $"incremental set {set.AppliesTo}→{set.ResultsIn} dropped while waiting for the full set",
                };

            case AssignmentSet.Types.Type.Incremental when set.AppliesTo != held.Revision:
                return Resync(held, $"change applies to revision {set.AppliesTo} but this node holds revision {held.Revision}");

            // Image pins are not credentials: a set of pins only may leave the revision where it is.
            case AssignmentSet.Types.Type.Incremental when set.ResultsIn == set.AppliesTo && set.Changes.All(c => c.ItemCase == Assignment.ItemOneofCase.ImagePin):
                return Publish(held, Build(held, set, out var pinsSkipped), pinsSkipped);

            case AssignmentSet.Types.Type.Incremental when set.ResultsIn <= set.AppliesTo:
                return Resync(held, $"change from revision {set.AppliesTo} results in revision {set.ResultsIn}, which does not move forward");

            case AssignmentSet.Types.Type.Incremental:
                return Publish(held, Build(held, set, out var skipped), skipped);

            default:
                return Resync(held, $"assignment set of unknown type {set.Type}");
        }
    }

    private AssignmentOutcome Resync(AssignmentSnapshot held, string reason)
    {
        _awaitingFull = true;
        return new AssignmentOutcome
        {
            Kind = AssignmentOutcomeKind.ResyncRequested,
            Revision = held.Revision,
            Reason = reason,
            Reply = new AgentMessage { Resync = new ResyncRequest { HeldRevision = held.Revision, Reason = reason } },
        };
    }

    private AssignmentOutcome Publish(AssignmentSnapshot held, AssignmentSnapshot next, List<string> skipped)
    {
        store.Publish(next);
        return new AssignmentOutcome
        {
            Kind = AssignmentOutcomeKind.Applied,
            Revision = next.Revision,
            Reply = new AgentMessage { Ack = new Ack { Revision = next.Revision } },
            ChangedCredentials = next.Credentials.Values
                .Where(c => !held.Credentials.TryGetValue(c.Id, out var before) || before != c)
                .OrderBy(c => c.Id, StringComparer.Ordinal)
                .ToList(),
            RemovedCredentials = held.Credentials.Keys.Where(id => !next.Credentials.ContainsKey(id)).Order(StringComparer.Ordinal).ToList(),
            ChangedPins = next.Pins.Values
                .Where(p => !held.Pins.TryGetValue(p.AppId, out var before) || before != p)
                .OrderBy(p => p.AppId, StringComparer.Ordinal)
                .ToList(),
            Skipped = skipped,
        };
    }

    private static AssignmentSnapshot Build(AssignmentSnapshot basis, AssignmentSet set, out List<string> skipped)
    {
        skipped = [];
        var credentials = basis.Credentials.ToBuilder();
        var pins = basis.Pins.ToBuilder();
        foreach (var change in set.Changes)
        {
            switch (change.ItemCase)
            {
                case Assignment.ItemOneofCase.Credential when change.Credential.Id.Length == 0:
                    skipped.Add("a credential without an id");
                    break;
                case Assignment.ItemOneofCase.Credential when change.Action == Assignment.Types.Action.Remove:
                    credentials.Remove(change.Credential.Id);
                    break;
                case Assignment.ItemOneofCase.Credential when change.Action == Assignment.Types.Action.Update:
                    if (string.IsNullOrWhiteSpace(change.Credential.Match))
                    {
                        skipped.Add($"credential {change.Credential.Id} without a match key");
                        break;
                    }

                    credentials[change.Credential.Id] = NodeCredential.From(change.Credential);
                    break;
                case Assignment.ItemOneofCase.ImagePin when change.ImagePin.Id.Length == 0:
                    skipped.Add("an image pin without an app id");
                    break;
                case Assignment.ItemOneofCase.ImagePin when change.Action == Assignment.Types.Action.Remove:
                    pins.Remove(change.ImagePin.Id);
                    break;
                case Assignment.ItemOneofCase.ImagePin when change.Action == Assignment.Types.Action.Update:
                    pins[change.ImagePin.Id] = new PinnedImage(change.ImagePin.Id, change.ImagePin.Image);
                    break;
                default:
                    skipped.Add($"a change with action {change.Action} and item {change.ItemCase}");
                    break;
            }
        }

        return new AssignmentSnapshot(set.ResultsIn, credentials.ToImmutable(), pins.ToImmutable());
    }
}
