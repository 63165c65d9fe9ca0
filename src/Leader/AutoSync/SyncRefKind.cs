namespace Cluster.Leader.AutoSync;

// What a SyncRef watches: a registry tag's digest, or a Git branch's head commit.
public enum SyncRefKind
{
    Image,
    Git,
}
