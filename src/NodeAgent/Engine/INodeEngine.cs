using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Docker.DotNet.Models;

namespace Cluster.NodeAgent.Engine;

// What the agent asks of its node's own Docker engine. Every method fails with a
// DockerOperationException whose Kind says why (Cluster.Core.Docker classifies engine text), so
// the agent's reports never depend on reading engine messages itself. An interface so the
// keyring and reporting logic can be tested without an engine.
internal interface INodeEngine
{
    Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken);

    // Logs into the registry through the engine's /auth: covers this node's DNS, routes and
    // trust store. Writes nothing on the node.
    Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken);

    // Pulls by digest when the reference has one. Progress is reported synchronously.
    Task PullAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken);

    // The image id (config digest) the engine holds for the reference, or null when absent.
    Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken);
}
