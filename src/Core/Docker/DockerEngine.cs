using System.Buffers;
using System.Text.Json;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Cluster.Core.Docker;

// The product's one door to a Docker engine. Every operation either completes or throws a
// DockerOperationException with a classified RegistryFailureKind: errors that the engine hides
// in a progress stream (push with a wrong password, a failing build step) are found here and
// turned into the same exception, so callers never scan streams or match strings themselves.
public sealed class DockerEngine : IDockerEngine, IDisposable
{
    private readonly DockerClient _client;

    public DockerEngine(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Endpoint = endpoint;
        _client = new DockerClientBuilder().WithEndpoint(endpoint).Build();
    }

    public Uri Endpoint { get; }

    // The underlying client, for the lab tests' own inspection of what the product did. Internal
    // so that product code cannot reach past this door: every engine call it makes is a method
    // here, whose failures are classified once (issue #15 item 3).
    internal DockerClient Client => _client;

    public static Uri DefaultEndpoint =>
        new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

    public async Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await Run("inspect engine", Endpoint.ToString(), () => _client.System.GetSystemInfoAsync(cancellationToken)).ConfigureAwait(false);
        var swarm = info.Swarm;
        var inSwarm = swarm is not null && string.Equals(swarm.LocalNodeState, "active", StringComparison.OrdinalIgnoreCase);
        return new EngineInfo(
            info.ID,
            info.Name,
            info.ServerVersion,
            NormalizeArchitecture(info.Architecture),
            inSwarm ? swarm!.NodeID : null,
            inSwarm && swarm!.ControlAvailable);
    }

    // The swarm's nodes; only a manager can answer.
    public async Task<IReadOnlyList<SwarmNode>> ListSwarmNodesAsync(CancellationToken cancellationToken)
    {
        var nodes = await Run("list swarm nodes on", Endpoint.ToString(), () => _client.Swarm.ListNodesAsync(cancellationToken)).ConfigureAwait(false);
        return nodes.Select(n => new SwarmNode(
            n.ID,
            n.Description?.Hostname ?? "",
            n.Spec?.Role ?? "",
            n.Status?.State ?? "",
            n.Spec?.Availability ?? "",
            NormalizeArchitecture(n.Description?.Platform?.Architecture),
            n.Status?.Addr ?? "")
        {
            Os = n.Description?.Platform?.OS ?? "linux",
            Labels = n.Spec?.Labels is { } labels ? new Dictionary<string, string>(labels) : new Dictionary<string, string>(),
        }).ToList();
    }

    // Builds the context and returns the image id. A failing step arrives only in the stream.
    public async Task<string> BuildImageAsync(BuildContext context, string tag, IProgress<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var tar = context.ToTar();
        return await BuildImageAsync(tar, new ImageBuildRequest { Tag = tag }, log, cancellationToken).ConfigureAwait(false);
    }

    // Builds from a context tar and returns the image id. Every line the engine prints is
    // reported to `log` in order, before this returns; a failure that arrives only in the stream
    // (a failing RUN, a missing COPY source) is thrown like one the API call throws.
    public async Task<string> BuildImageAsync(Stream contextTar, ImageBuildRequest request, IProgress<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contextTar);
        ArgumentNullException.ThrowIfNull(request);
        string? imageId = null;
        string? error = null;
        var progress = new SynchronousProgress<JSONMessage>(message =>
        {
            error ??= ErrorOf(message);
            if (message.Aux?.ExtensionData is { } aux && aux.TryGetValue("ID", out var id))
            {
                imageId = id?.ToString();
            }

            if (!string.IsNullOrWhiteSpace(message.Stream))
            {
                foreach (var line in message.Stream.TrimEnd('\n').Split('\n'))
                {
                    log?.Report(line.TrimEnd('\r'));
                }
            }
        });
        var parameters = new ImageBuildParameters
        {
            Tags = [request.Tag],
            Remove = true,
            ForceRemove = true,
            Dockerfile = string.IsNullOrWhiteSpace(request.Dockerfile) ? null : request.Dockerfile,
            Target = string.IsNullOrWhiteSpace(request.Target) ? null : request.Target,
            BuildArgs = request.BuildArgs.Count == 0 ? null : request.BuildArgs.ToDictionary(kv => kv.Key, kv => kv.Value),
            Labels = request.Labels.Count == 0 ? null : request.Labels.ToDictionary(kv => kv.Key, kv => kv.Value),
        };
        await Run("build", request.Tag, () => _client.Images.BuildImageFromDockerfileAsync(
            parameters,
            contextTar,
            authConfigs: null,
            headers: null,
            progress,
            cancellationToken)).ConfigureAwait(false);
        if (error is not null)
        {
            throw new DockerOperationException("build", request.Tag, EngineErrorClassifier.Classify(error), error);
        }

        return imageId ?? throw new DockerOperationException("build", request.Tag, RegistryFailureKind.Engine, "the engine reported no image id");
    }

    // Pushes name:tag and returns the manifest digest the registry stored.
    public async Task<string> PushImageAsync(ImageReference image, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var tag = image.Tag ?? throw new ArgumentException("a push needs a tag", nameof(image));
        string? digest = null;
        string? error = null;
        var progress = new SynchronousProgress<JSONMessage>(message =>
        {
            error ??= ErrorOf(message);
            if (message.Aux?.ExtensionData is { } aux && aux.TryGetValue("Digest", out var d))
            {
                digest = d?.ToString();
            }
        });
        await Run("push", image.Canonical, () => _client.Images.PushImageAsync(
            image.Name,
            new ImagePushParameters { Tag = tag },
            ToAuthConfig(login),
            progress,
            cancellationToken)).ConfigureAwait(false);
        if (error is not null)
        {
            throw new DockerOperationException("push", image.Canonical, EngineErrorClassifier.Classify(error), error);
        }

        return digest ?? throw new DockerOperationException("push", image.Canonical, RegistryFailureKind.Engine, "the engine reported no digest");
    }

    // Pulls by digest when the reference has one (the digest decides what is pulled), else by tag.
    public async Task PullImageAsync(ImageReference image, RegistryLogin? login, IProgress<JSONMessage>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        string? error = null;
        var scan = new SynchronousProgress<JSONMessage>(message =>
        {
            error ??= ErrorOf(message);
            progress?.Report(message);
        });
        await Run("pull", image.Canonical, () => _client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromImage = image.Name, Tag = image.Digest ?? image.Tag ?? "latest" },
            ToAuthConfig(login),
            scan,
            cancellationToken)).ConfigureAwait(false);
        if (error is not null)
        {
            throw new DockerOperationException("pull", image.Canonical, EngineErrorClassifier.Classify(error), error);
        }
    }

    // Asks the engine to log into the registry (its /auth endpoint). Proves the credential works
    // from this engine's network path, DNS and trust store. Writes nothing on the node.
    public Task CheckLoginAsync(RegistryLogin login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(login);
        return Run("login to", login.ServerAddress, () => _client.System.AuthenticateAsync(ToAuthConfig(login)!, cancellationToken));
    }

    public Task TagImageAsync(string source, ImageReference target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Run("tag", target.Canonical, () => _client.Images.TagImageAsync(
            source,
            new ImageTagParameters { RepositoryName = target.Name, Tag = target.Tag },
            cancellationToken));
    }

    public async Task<bool> ImageExistsAsync(string reference, CancellationToken cancellationToken) =>
        await FindImageIdAsync(reference, cancellationToken).ConfigureAwait(false) is not null;

    public async Task<string?> FindImageIdAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        try
        {
            var image = await Run("inspect image", reference, () => _client.Images.InspectImageAsync(reference, cancellationToken)).ConfigureAwait(false);
            return image.ID;
        }
        catch (DockerOperationException e) when (e.Kind == RegistryFailureKind.NotFound)
        {
            return null;
        }
    }

    public Task WatchImageRemovalsAsync(Action onRemoved, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onRemoved);
        return WatchEventsAsync("watch image events of", Endpoint.ToString(), new() { ["type"] = "image" }, message =>
        {
            if (message.Action is "delete" or "untag")
            {
                onRemoved();
            }
        }, cancellationToken);
    }

    // Calls onEvent for every event of one swarm service (the manager's "service" events: create,
    // update, remove; an update event also comes when swarm changes the service's UpdateStatus,
    // e.g. to completed). Runs until cancelled or the engine ends the stream.
    public Task WatchServiceEventsAsync(string serviceId, Action onEvent, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        ArgumentNullException.ThrowIfNull(onEvent);
        return WatchEventsAsync("watch service events of", serviceId, new() { ["type"] = "service", ["service"] = serviceId }, _ => onEvent(), cancellationToken);
    }

    // The engine's event stream (GET /events) with one value per filter, each message handed to
    // onMessage as it arrives; runs until cancelled or the engine ends the stream.
    private Task WatchEventsAsync(string operation, string target, Dictionary<string, string> filters, Action<Message> onMessage, CancellationToken cancellationToken) =>
        Run(operation, target, () => _client.System.MonitorEventsAsync(
            new ContainerEventsParameters
            {
                Filters = filters.ToDictionary(f => f.Key, f => (IDictionary<string, bool>)new Dictionary<string, bool> { [f.Value] = true }),
            },
            new SynchronousProgress<Message>(onMessage),
            cancellationToken));

    public async Task<IReadOnlyList<EngineImage>> ListImagesWithLabelAsync(string label, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        var images = await Run("list images on", Endpoint.ToString(), () => _client.Images.ListImagesAsync(
            new ImagesListParameters { All = false, Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } } },
            cancellationToken)).ConfigureAwait(false);
        return images.Select(i => new EngineImage(
            i.ID,
            (i.RepoTags ?? []).Where(t => t != "<none>:<none>").ToList(),
            (i.RepoDigests ?? []).Where(d => d != "<none>@<none>").ToList(),
            i.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal),
            new DateTimeOffset(DateTime.SpecifyKind(i.Created, DateTimeKind.Utc)))).ToList();
    }

    public Task RemoveImageReferenceAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        return Run("remove image", reference, () => _client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = false }, cancellationToken));
    }

    public Task RemoveImageAsync(string reference, CancellationToken cancellationToken) =>
        Run("remove image", reference, () => _client.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true }, cancellationToken));

    // The swarm service whose name is exactly `name`, or null. Never by ID or ID prefix: the
    // engine's inspect/update/remove accept those too, so `225r` would find the unrelated
    // service whose ID begins with 225r. The name filter matches substrings; the exact
    // comparison decides.
    public async Task<SwarmService?> FindServiceAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var services = await Run("list services on", Endpoint.ToString(), () => _client.Swarm.ListServicesAsync(
            new ServiceListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } } },
            cancellationToken)).ConfigureAwait(false);
        return services.FirstOrDefault(s => string.Equals(s.Spec?.Name, name, StringComparison.Ordinal));
    }

    // Every swarm service, as the engine lists them (current and previous spec); only a manager
    // can answer.
    public async Task<IReadOnlyList<SwarmService>> ListServicesAsync(CancellationToken cancellationToken)
    {
        var services = await Run("list services on", Endpoint.ToString(), () => _client.Swarm.ListServicesAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. services];
    }

    // Re-reads a service by its full ID (from FindServiceAsync); null when it is gone.
    public async Task<SwarmService?> InspectServiceAsync(string serviceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        try
        {
            return await Run("inspect service", serviceId, () => _client.Swarm.InspectServiceAsync(serviceId, cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerOperationException e) when (e.Kind == RegistryFailureKind.NotFound)
        {
            return null;
        }
    }

    // Creates a service and returns its ID. No registry auth goes with it: swarm would store
    // it in the spec and copy it, readable, to every node that runs a task. Nodes get the image
    // by pre-pull instead (repo:tag@digest in the spec, pulled beforehand).
    public async Task<string> CreateServiceAsync(ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var created = await Run("create service", spec.Name ?? "", () => _client.Swarm.CreateServiceAsync(
            new ServiceCreateParameters { Service = spec },
            cancellationToken)).ConfigureAwait(false);
        return created.ID ?? throw new DockerOperationException("create service", spec.Name ?? "", RegistryFailureKind.Engine, "the engine returned no service id");
    }

    // Replaces the spec of the service `current` (as read, for its version: a concurrent
    // change makes this fail instead of being overwritten). An update without auth would keep
    // the auth stored in the old spec, so an empty one is sent: it replaces any registry
    // secret an older version (or someone else) left there.
    public Task UpdateServiceAsync(SwarmService current, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(spec);
        return Run("update service", spec.Name ?? current.ID, () => _client.Swarm.UpdateServiceAsync(
            current.ID,
            new ServiceUpdateParameters { Service = spec, Version = (long)(current.Version?.Index ?? 0), RegistryAuth = new AuthConfig() },
            cancellationToken));
    }

    // Puts the service back on the spec it had before its last update (swarm's own rollback).
    public Task RollbackServiceAsync(SwarmService current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        return Run("roll back service", current.Spec?.Name ?? current.ID, () => _client.Swarm.UpdateServiceAsync(
            current.ID,
            new ServiceUpdateParameters { Service = current.Spec!, Version = (long)(current.Version?.Index ?? 0), Rollback = "previous" },
            cancellationToken));
    }

    // Removes a service by its full ID; a service already gone counts as removed.
    public async Task RemoveServiceAsync(SwarmService service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        try
        {
            await Run("remove service", service.Spec?.Name ?? service.ID, () => _client.Swarm.RemoveServiceAsync(service.ID, cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerOperationException e) when (e.Kind == RegistryFailureKind.NotFound)
        {
            // Already gone: what the caller wanted.
        }
    }

    // The tasks of one service (by full ID), every state.
    public Task<IList<TaskResponse>> ListTasksAsync(SwarmService service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return Run("list tasks of", service.Spec?.Name ?? service.ID, () => _client.Tasks.ListAsync(
            new TasksListParameters { Filters = new Dictionary<string, IDictionary<string, bool>> { ["service"] = new Dictionary<string, bool> { [service.ID] = true } } },
            cancellationToken));
    }

    public void Dispose() => _client.Dispose();

    // The engine's JSON for X-Registry-Auth (base64url of the auth config), for calls that take
    // it as a header, such as the swarm service API and distribution inspect.
    public static string EncodeRegistryAuth(RegistryLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        // Written field by field (no reflection): the agent and builder are compiled ahead of time.
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("username", login.Username);
            json.WriteString("password", login.Secret);
            json.WriteString("serveraddress", login.ServerAddress);
            json.WriteEndObject();
        }

        return Convert.ToBase64String(buffer.WrittenSpan).Replace('+', '-').Replace('/', '_');
    }

    private static AuthConfig? ToAuthConfig(RegistryLogin? login) => login is null
        ? null
        : new AuthConfig { ServerAddress = login.ServerAddress, Username = login.Username, Password = login.Secret };

    private static string? ErrorOf(JSONMessage message) =>
        message.Error?.Message is { Length: > 0 } m ? m.Trim() : null;

    // Docker reports the kernel's machine name (uname -m); OCI platforms use Go's GOARCH names.
    private static string NormalizeArchitecture(string? architecture) => architecture switch
    {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "armv7l" or "armv6l" or "armhf" => "arm",
        "i386" or "i686" => "386",
        null or "" => "unknown",
        _ => architecture,
    };

    private async Task<T> Run<T>(string operation, string target, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw EngineErrorClassifier.ToOperationException(operation, target, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            throw new DockerOperationException(operation, target, RegistryFailureKind.Engine,
                $"Docker engine at {Endpoint} is not answering ({e.Message}); check that dockerd runs and --docker-host is right", e);
        }
    }

    private async Task Run(string operation, string target, Func<Task> call) =>
        await Run(operation, target, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
}
