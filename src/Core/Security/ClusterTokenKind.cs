namespace Cluster.Core.Security;

public enum ClusterTokenKind
{
    Admin,
    Join,
}
