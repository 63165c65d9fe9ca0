using Cluster.BuildServer.Jobs;
using Cluster.NodeJoin.Housekeeping;

namespace Cluster.BuildServer.Housekeeping;

// The build server's part of the shared ImageHousekeeper (src/NodeJoin/Housekeeping): nothing of
// its own to keep beyond the leader's list, and no prune while a build job runs (BuildActivity):
// a cached rebuild may be about to tag and push an image the prune would count as old.
internal static class BuilderHousekeeping
{
    public static HousekeeperSetup Setup(BuildActivity activity) => new("the build server's engine", () => [], activity);
}
