using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// One check of a ref, with the credential of `app` (the first app that watches it): a registry
// tag's digest, or a Git branch's head commit (CheckOutcome.Digest holds the commit then). A
// failure is a CheckOutcome.Failed saying what failed and where; never an exception.
public interface IRefChecks
{
    Task<CheckOutcome> CheckAsync(SyncRef syncRef, AppRecord app, CancellationToken cancellationToken);
}
