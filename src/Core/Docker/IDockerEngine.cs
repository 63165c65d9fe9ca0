using Cluster.Core.Images;
using Cluster.Core.Registry;
using Docker.DotNet.Models;

namespace Cluster.Core.Docker;

// The node agent's view of its engine, and the one seam at the Docker boundary: DockerEngine is
// the real one; tests put a scripted stand-in here. Same contract as DockerEngine: every
// failure is a DockerOperationException whose Kind says why, so callers never read engine text.
public interface IDockerEngine
{
    Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken);

    // Logs into the registry through the engine's /auth: covers this node's DNS, routes and
    // trust store. Writes nothing on the node.
    Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken);

    // Pulls by digest when the reference has one. Progress is reported synchronously.
    Task PullImageAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken);

    // The image id (config digest) the engine holds for the reference, or null when absent.
    Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken);

    // Calls onRemoved for every image the engine deletes or untags (`docker rmi`, `docker
    // image prune`), until cancelled or the engine closes the stream.
    Task WatchImageRemovalsAsync(Action onRemoved, CancellationToken cancellationToken);

    // Images carrying the label `label` (any value), as the engine lists them.
    Task<IReadOnlyList<EngineImage>> ListImagesWithLabelAsync(string label, CancellationToken cancellationToken);

    // Removes one reference ("repo:tag", "repo@digest" or an image id) WITHOUT force: the
    // engine deletes the image with its last reference, and refuses (DockerOperationException,
    // Kind Other: a conflict) while a container, running or stopped, uses it. A reference
    // already gone throws Kind NotFound.
    Task RemoveImageReferenceAsync(string reference, CancellationToken cancellationToken);
}
