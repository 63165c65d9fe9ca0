namespace Cluster.Leader.Webhooks;

// What a delivery says moved. An image: a repository path (as the source names it) and, when
// the source says, the tag. A Git push (Git = true): a clone URL of the repository and the
// branch pushed to. It only selects which watched refs are checked now.
public sealed record WebhookHint(string Repository, string? Tag, bool Git = false);
