using Cluster.NodeAgent.Assignments;
using Cluster.NodeJoin.Housekeeping;

namespace Cluster.NodeAgent.Housekeeping;

// The agent's part of the shared ImageHousekeeper (src/NodeJoin/Housekeeping): the images this
// node holds pins for stay whatever the leader's list says (PinKeeper would only pull a removed
// pin again); a prune runs as soon as it is ordered.
internal static class NodeHousekeeping
{
    public static HousekeeperSetup Setup(AssignmentStore store) => new("this node", () => store.Current.Pins.Values.Select(p => p.Image), IPruneGate.Open);
}
