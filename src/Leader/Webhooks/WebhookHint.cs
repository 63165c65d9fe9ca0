namespace Cluster.Leader.Webhooks;

// An image a delivery says moved: a repository path (as the source names it) and, when the
// source says, the tag. It only selects which watched refs are checked now.
public sealed record WebhookHint(string Repository, string? Tag);
