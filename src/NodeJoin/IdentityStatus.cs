namespace Cluster.NodeJoin;

internal enum IdentityStatus
{
    // Usable and not yet due for renewal.
    Valid,
    // Usable, but less than a third of its lifetime is left: join again for a new one, and keep
    // using this one while that fails.
    RenewalDue,
    // No identity in the state dir (first start, or deleted after the leader refused it).
    Missing,
    // Files present but unreadable, or the key does not match the certificate.
    Unreadable,
    Expired,
    // Issued by another CA than the one the join token pins: the node was moved to another
    // cluster, or the leader's data dir was recreated.
    WrongCa,
}
