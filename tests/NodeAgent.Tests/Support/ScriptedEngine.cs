using System.Collections.Concurrent;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.NodeAgent.Engine;
using Docker.DotNet.Models;

namespace Cluster.NodeAgent.Tests.Support;

// A node engine whose answers the test scripts: per username (null = anonymous) what a login or
// a pull does. It stands in for the local Docker engine only, never for the leader.
internal sealed class ScriptedEngine : IDockerEngine
{
    private readonly ConcurrentDictionary<string, Func<CancellationToken, Task>> _pulls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<CancellationToken, Task>> _logins = new(StringComparer.Ordinal);

    public const string Anonymous = "(anonymous)";

    public ConcurrentQueue<(string Reference, string User)> PullCalls { get; } = new();

    public ConcurrentQueue<RegistryLogin> LoginCalls { get; } = new();

    // reference (name@digest) -> image id, for images the engine holds.
    public ConcurrentDictionary<string, string> Present { get; } = new(StringComparer.Ordinal);

    // Progress each successful pull reports before finishing.
    public IReadOnlyList<JSONMessage> PullProgress { get; set; } = [];

    public EngineInfo Info { get; set; } = new("ENGINE-ID", "node-1", "20.10.24", "amd64", "swarm-node-1", false);

    public ScriptedEngine PullFails(string? user, RegistryFailureKind kind, string detail)
    {
        _pulls[user ?? Anonymous] = _ => throw new DockerOperationException("pull", "image", kind, detail);
        return this;
    }

    public ScriptedEngine PullSucceeds(string? user, string imageId)
    {
        _pulls[user ?? Anonymous] = _ =>
        {
            LastPulledId = imageId;
            return Task.CompletedTask;
        };
        return this;
    }

    public ScriptedEngine PullSucceedsAfter(string? user, string imageId, Task gate)
    {
        _pulls[user ?? Anonymous] = async ct =>
        {
            await gate.WaitAsync(ct);
            LastPulledId = imageId;
        };
        return this;
    }

    public ScriptedEngine PullHangs(string? user)
    {
        _pulls[user ?? Anonymous] = ct => Task.Delay(Timeout.Infinite, ct);
        return this;
    }

    public ScriptedEngine LoginFails(string user, RegistryFailureKind kind, string detail)
    {
        _logins[user] = _ => throw new DockerOperationException("login to", "registry", kind, detail);
        return this;
    }

    public ScriptedEngine LoginHangs(string user)
    {
        _logins[user] = ct => Task.Delay(Timeout.Infinite, ct);
        return this;
    }

    private string? LastPulledId { get; set; }

    public Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken) => Task.FromResult(Info);

    public Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken)
    {
        LoginCalls.Enqueue(login);
        return _logins.TryGetValue(login.Username, out var script) ? script(cancellationToken) : Task.CompletedTask;
    }

    public async Task PullImageAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken)
    {
        var user = login?.Username ?? Anonymous;
        var reference = image.Digest is { } d ? $"{image.Name}@{d}" : image.Canonical;
        PullCalls.Enqueue((reference, user));
        if (!_pulls.TryGetValue(user, out var script))
        {
            throw new DockerOperationException("pull", reference, RegistryFailureKind.Other, $"test script has no pull for {user}");
        }

        await script(cancellationToken);
        foreach (var message in PullProgress)
        {
            progress?.Report(message);
        }

        if (LastPulledId is { } id)
        {
            Present[reference] = id;
        }
    }

    public Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken) =>
        Task.FromResult(Present.TryGetValue(reference, out var id) ? id : null);

    // Holds the watch open until cancelled; ImageRemoved fires it.
    public async Task WatchImageRemovalsAsync(Action onRemoved, CancellationToken cancellationToken)
    {
        _onRemoved = onRemoved;
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        finally
        {
            _onRemoved = null;
        }
    }

    // As `docker rmi`: the image is gone and the engine says so on its event stream.
    public void ImageRemoved(string reference)
    {
        Present.TryRemove(reference, out _);
        _onRemoved?.Invoke();
    }

    public bool Watching => _onRemoved is not null;

    // Images listed by label (housekeeping), and what removals did: a reference in InUse is
    // refused as the engine refuses an image a container uses.
    public List<EngineImage> Images { get; } = [];

    public HashSet<string> InUse { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> RemoveCalls { get; } = new();

    public Task<IReadOnlyList<EngineImage>> ListImagesWithLabelAsync(string label, CancellationToken cancellationToken)
    {
        lock (Images)
        {
            return Task.FromResult<IReadOnlyList<EngineImage>>([.. Images.Where(i => i.Labels.ContainsKey(label))]);
        }
    }

    public Task RemoveImageReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        RemoveCalls.Enqueue(reference);
        lock (Images)
        {
            var image = Images.FirstOrDefault(i => i.Id == reference || i.RepoTags.Contains(reference) || i.RepoDigests.Contains(reference))
                ?? throw new DockerOperationException("remove image", reference, RegistryFailureKind.NotFound, $"No such image: {reference}");
            if (InUse.Contains(image.Id))
            {
                throw new DockerOperationException("remove image", reference, RegistryFailureKind.Other, $"conflict: unable to remove repository reference \"{reference}\" (must force) - container abc is using its referenced image {image.Id}");
            }

            var left = image with { RepoTags = [.. image.RepoTags.Where(t => t != reference)], RepoDigests = [.. image.RepoDigests.Where(d => d != reference)] };
            Images.Remove(image);
            if (left.RepoTags.Count + left.RepoDigests.Count > 0 && reference != image.Id)
            {
                Images.Add(left);
            }
        }

        return Task.CompletedTask;
    }

    private volatile Action? _onRemoved;
}
