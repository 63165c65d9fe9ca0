namespace Cluster.Leader.AutoSync;

// A snapshot of one ref's schedule: when it was last checked and what that found, when the next
// check is due, and how many checks in a row have failed.
public sealed record RefStatus(SyncRef Ref, TimeSpan Interval, DateTimeOffset? LastCheckAt, CheckOutcome? Last, DateTimeOffset NextDue, int Failures);
