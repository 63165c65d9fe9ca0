using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Docker.DotNet.Models;

namespace Cluster.BuildServer.Tests.Housekeeping;

// The builder engine's image store as housekeeping sees it: list by label and remove a reference
// without force, as the engine does. `ListGate`, when set, holds every list until it completes
// (a prune under way); `ListCalled` completes at the first list; `ListFailure`, when set, is
// thrown by the next list (once); `RemoveCalled` completes at the first removal. Nothing else is
// used.
internal sealed class ImageEngine : IDockerEngine
{
    public List<EngineImage> Images { get; } = [];

    public List<string> RemoveCalls { get; } = [];

    public Task? ListGate { get; set; }

    public TaskCompletionSource ListCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Exception? _listFailure;

    public Exception? ListFailure
    {
        get => Volatile.Read(ref _listFailure);
        set => Volatile.Write(ref _listFailure, value);
    }

    public TaskCompletionSource RemoveCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<IReadOnlyList<EngineImage>> ListImagesWithLabelAsync(string label, CancellationToken cancellationToken)
    {
        ListCalled.TrySetResult();
        if (Interlocked.Exchange(ref _listFailure, null) is { } failure)
        {
            throw failure;
        }

        if (ListGate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        lock (Images)
        {
            return [.. Images.Where(i => i.Labels.ContainsKey(label))];
        }
    }

    public Task RemoveImageReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        lock (Images)
        {
            RemoveCalls.Add(reference);
            RemoveCalled.TrySetResult();
            var image = Images.FirstOrDefault(i => i.Id == reference || i.RepoTags.Contains(reference) || i.RepoDigests.Contains(reference))
                ?? throw new DockerOperationException("remove image", reference, RegistryFailureKind.NotFound, $"No such image: {reference}");
            var left = image with { RepoTags = [.. image.RepoTags.Where(t => t != reference)], RepoDigests = [.. image.RepoDigests.Where(d => d != reference)] };
            Images.Remove(image);
            if (left.RepoTags.Count + left.RepoDigests.Count > 0)
            {
                Images.Add(left);
            }
        }

        return Task.CompletedTask;
    }

    public Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task PullImageAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task WatchImageRemovalsAsync(Action onRemoved, CancellationToken cancellationToken) => throw new NotSupportedException();
}
