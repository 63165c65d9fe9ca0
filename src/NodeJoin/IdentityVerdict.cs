namespace Cluster.NodeJoin;

// What the stored identity is good for, and why, in words for the log.
internal sealed record IdentityVerdict(IdentityStatus Status, string Reason)
{
    // Usable for a session: valid, or due for renewal but not expired.
    public bool IsUsable => Status is IdentityStatus.Valid or IdentityStatus.RenewalDue;
}
