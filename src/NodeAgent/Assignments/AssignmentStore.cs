namespace Cluster.NodeAgent.Assignments;

// Holds the current AssignmentSnapshot, swapped atomically. Only the session publishes; anyone
// reads. Nothing here is ever written to disk: after a restart the node holds revision 0 and
// the leader sends a full snapshot.
internal sealed class AssignmentStore
{
    private AssignmentSnapshot _current = AssignmentSnapshot.Empty;

    public AssignmentSnapshot Current => Volatile.Read(ref _current);

    // Returns the snapshot it replaced.
    public AssignmentSnapshot Publish(AssignmentSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return Interlocked.Exchange(ref _current, next);
    }
}
