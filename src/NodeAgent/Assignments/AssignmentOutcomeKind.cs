namespace Cluster.NodeAgent.Assignments;

internal enum AssignmentOutcomeKind
{
    // Applied and published; the reply is the Ack of the new revision.
    Applied,
    // The chain is broken; the reply is a ResyncRequest and INCREMENTAL sets are dropped until
    // the FULL one arrives.
    ResyncRequested,
    // Dropped without a reply: an INCREMENTAL set that arrived while waiting for the FULL one.
    Ignored,
}
