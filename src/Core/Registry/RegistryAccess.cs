namespace Cluster.Core.Registry;

// What a credential must be allowed to do with a repository.
public enum RegistryAccess
{
    // Read manifests and blobs (what every node's engine needs to run the image).
    Pull,

    // Upload blobs and manifests (what the build server needs); implies Pull, as in Docker.
    Push,
}
