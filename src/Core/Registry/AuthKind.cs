namespace Cluster.Core.Registry;

// How one registry request was authenticated.
internal enum AuthKind
{
    None,
    Basic,
    Bearer,
}
