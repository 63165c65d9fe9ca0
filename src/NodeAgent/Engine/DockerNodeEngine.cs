using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Cluster.NodeAgent.Engine;

// INodeEngine over the shared DockerEngine.
internal sealed class DockerNodeEngine(DockerEngine engine) : INodeEngine
{
    public Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken) => engine.GetInfoAsync(cancellationToken);

    public Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken) => engine.CheckLoginAsync(login, cancellationToken);

    public Task PullAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken) =>
        engine.PullImageAsync(image, login, progress, cancellationToken);

    // DockerEngine.ImageExistsAsync answers only yes or no; a pre-pull reports the image id too.
    // Candidate for Cluster.Core.Docker.DockerEngine (FindImageIdAsync).
    public async Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken)
    {
        try
        {
            var image = await engine.Client.Images.InspectImageAsync(reference, cancellationToken);
            return image.ID;
        }
        catch (DockerImageNotFoundException)
        {
            return null;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (DockerApiException e)
        {
            throw EngineErrorClassifier.ToOperationException("inspect image", reference, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            throw new DockerOperationException("inspect image", reference, RegistryFailureKind.Engine,
                $"Docker engine at {engine.Endpoint} is not answering ({e.Message}); check that dockerd runs and --docker-host is right", e);
        }
    }
}
