using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Cluster.Core.Images;

namespace Cluster.Core.Registry;

// A client for the registry HTTP API v2 (the OCI distribution spec), written by hand because no
// maintained, general-purpose .NET registry client exists: Azure.Containers.ContainerRegistry
// speaks ACR's own auth only, and the registry code of Microsoft.NET.Build.Containers is internal
// to the SDK. The product needs four questions answered, each as a typed outcome:
//   - CheckLoginAsync:  are these credentials accepted (what `docker login` checks)?
//   - CheckAccessAsync: may they pull, or push, this repository?
//   - ResolveAsync:     which digest does this tag name now (to pin a swarm service to it)?
//   - GetPlatformsAsync: which os/architectures does the image cover?
//
// Guarantees:
// - Never throws for anything the registry, the network or the credentials do: every outcome is
//   a RegistryCheck with a RegistryFailureKind and a message naming what failed and where.
//   Only a cancelled cancellationToken (OperationCanceledException) and invalid arguments
//   (ArgumentException) escape.
// - No message contains a password, a token or an Authorization header: every secret the
//   operation was given or obtained is redacted from the message before it is returned.
// - Authorization is sent only to the registry's own origin and to its token realm; redirects to
//   any other host (blob CDNs) are followed without it, and never automatically.
// - Plain HTTP only for Insecure or loopback hosts (see RegistryHost); credentials are never sent
//   to a plain-HTTP token realm of a registry that is neither.
// - Both Basic and Bearer registries are handled from their WWW-Authenticate challenge; requests
//   start anonymous, then the host's scheme is remembered so later requests authenticate at once.
//   Bearer tokens are cached per (registry, realm, service, scope, credential) until shortly
//   before they expire by the injected TimeProvider.
// - Thread-safe; one instance is meant to be shared (it pools connections).
public sealed class RegistryClient : IDisposable
{
    private const int MaxManifestBytes = 4 * 1024 * 1024; // distribution's own limit
    private const int MaxConfigBytes = 8 * 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly RegistryTransport _transport;
    private readonly RegistryAuthenticator _auth;

    // The parts, each with one job: RegistryTls (certificate policy), RegistryTransport (one
    // exchange, redirects, bounds), RegistryEndpoints (TLS first, plain HTTP where allowed),
    // BearerTokenClient (the token protocol and its cache), RegistryAuthenticator (the challenge
    // state machine) and RegistryFailureMap (every failure to a kind and a message, pure).
    // Without a handler the client makes two SocketsHttpHandlers: one that verifies certificates
    // and one that does not (used only for Insecure hosts). A handler passed in (tests, or a
    // caller's own TLS policy) serves both, stays owned by the caller, and then ConnectTimeout is
    // the handler's business.
    public RegistryClient(RegistryClientOptions? options = null, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        var validated = options ?? new RegistryClientOptions();
        validated.Validate();
        _time = time ?? TimeProvider.System;
        _transport = new RegistryTransport(validated, _time, handler);
        var tokens = new BearerTokenClient(_transport, new TokenCache(_time), _time);
        _auth = new RegistryAuthenticator(new RegistryEndpoints(_transport), tokens);
    }

    // Like `docker login`: GET /v2/ anonymously, then answer the challenge with these credentials
    // (Basic: the same request with them; Bearer: a token request to the realm with
    // account=<user> and no scope, then /v2/ with that token). Never served from a cache.
    // A null login checks anonymous access. A registry that answers /v2/ without asking for
    // credentials is Ok, and the message says the credentials were not needed.
    public Task<RegistryCheck> CheckLoginAsync(RegistryHost host, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var op = new RegistryOperation(host, login);
        return RunAsync(op, async () =>
        {
            var reply = await _auth.SendAsync(op, HttpMethod.Get, "v2/", scope: null, accept: null, maxBody: 64 * 1024, fresh: true, cancellationToken);
            if (reply.Status == HttpStatusCode.OK)
            {
                return reply.Auth.Kind switch
                {
                    AuthKind.None when login is not null => RegistryCheck.Success($"{host.Host} accepts anonymous requests; the credentials of {login.Username} were not needed, so they were not checked"),
                    AuthKind.None => RegistryCheck.Success($"anonymous access to {host.Host} works"),
                    _ when login is null => RegistryCheck.Success($"anonymous access to {host.Host} works (with an anonymous token)"),
                    _ => RegistryCheck.Success($"login as {login.Username} accepted by {host.Host}"),
                };
            }

            if (reply.Status == HttpStatusCode.NotFound)
            {
                throw new RegistryFailureException(RegistryFailureKind.Other,
                    $"{host.Host} does not serve the registry API (GET /v2/ answered 404); check the registry URL");
            }

            throw Failure(op, reply, forbidden: null, notFound: null);
        }, cancellationToken);
    }

    // Pull: obtains authorization for repository:<repo>:pull and proves it with
    // GET /v2/<repo>/tags/list?n=1. 200 is Ok; so is 404 NAME_UNKNOWN ("allowed, but the
    // repository holds no images yet"), because registries check authorization before they look
    // the repository up, and a first push creates it. 401 after credentials were accepted, or
    // 403, is Forbidden; a registry that hides private repositories answers the same for a
    // repository that does not exist, and the message says so.
    // Push: obtains authorization for repository:<repo>:pull,push, starts a blob upload
    // (POST /v2/<repo>/blobs/uploads/ -> 202) and cancels it at once (DELETE of its Location; a
    // failure to cancel is ignored: registries expire abandoned uploads). Nothing is written.
    public Task<RegistryCheck> CheckAccessAsync(RegistryHost host, string repository, RegistryAccess access, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(repository);
        var op = new RegistryOperation(host, login);
        return RunAsync(op, async () =>
        {
            if (ReferenceGrammar.RemoteNameProblem(repository) is { } problem)
            {
                throw new RegistryFailureException(RegistryFailureKind.Other, $"invalid repository name \"{repository}\": {problem}");
            }

            return access == RegistryAccess.Push
                ? await CheckPushAsync(op, repository, cancellationToken)
                : await CheckPullAsync(op, repository, cancellationToken);
        }, cancellationToken);
    }

    // GET /v2/<repo>/manifests/<digest, else tag, else "latest"> with the four manifest media
    // types, and pins the digest of the bytes actually received (sha256, or the algorithm of the
    // reference's own digest): a registry or proxy whose Docker-Content-Digest disagrees with
    // those bytes is reported as exactly that, never trusted (nodes would then pull a digest that
    // does not exist). For a multi-arch image this is the index's digest, which is what a service
    // should be pinned to (each node then picks its platform). When the reference holds a digest,
    // the bytes must hash to it. No HEAD is involved, so a registry that refuses HEAD resolves as
    // any other. The check carries the registry's RateLimit headers when it sent them.
    public Task<RegistryResult<ManifestDigest>> ResolveAsync(RegistryHost host, ImageReference image, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(image);
        var op = new RegistryOperation(host, login);
        return RunAsync(op, async () =>
        {
            var reply = await GetManifestAsync(op, image, cancellationToken);
            var manifest = ManifestPin.Pin(op.Host.Host, Display(image), image.Digest, reply);
            return RegistryResult<ManifestDigest>.Success(manifest, $"{Display(image)} is {manifest.Digest} on {op.Host.Host}") is var result
                ? result with { Check = result.Check with { RateLimit = RegistryRateLimit.From(reply) } }
                : result;
        }, cancellationToken);
    }

    // ResolveAsync, retried while the registry rate-limits (429 / TOOMANYREQUESTS) and the wait
    // it asks for (Retry-After, else a short backoff) still ends before deadline; at most
    // RegistryRetry.MaxAttempts tries. A wait that would pass the deadline fails at once, with the
    // wait the registry asked for in RetryAfter and the message. onRetry, when given, hears each
    // refusal that will be retried and the wait before the next try (for a deployment's log).
    public Task<RegistryResult<ManifestDigest>> ResolveAsync(RegistryHost host, ImageReference image, RegistryLogin? login, DateTimeOffset deadline, CancellationToken cancellationToken, Action<RegistryCheck, TimeSpan>? onRetry = null) =>
        RegistryRetry.RunAsync(ct => ResolveAsync(host, image, login, ct), deadline, _time, cancellationToken, onRetry);

    // The digest a tag names now, as cheaply as the registry allows, for pollers that only look
    // for a change (Docker Hub does not count HEAD against its pull rate limit): HEAD, trusting
    // Docker-Content-Digest. Where HEAD is refused (any answer but 200, 401 or 429: registries
    // answer 404, 405 or 403 to HEAD while GET works) or names no digest, GET and pin the bytes
    // as ResolveAsync does; "not found" therefore never comes from a HEAD alone. Deployments pin
    // with ResolveAsync, which always verifies the bytes.
    public Task<RegistryResult<ManifestDigest>> ProbeDigestAsync(RegistryHost host, ImageReference image, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(image);
        var op = new RegistryOperation(host, login);
        return RunAsync(op, async () =>
        {
            var head = await _auth.SendAsync(op, HttpMethod.Head, ManifestPath(image), Scope(image.Repository, RegistryAccess.Pull), RegistryMediaTypes.ManifestAccept, 0, fresh: false, cancellationToken);
            if (head.Status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests)
            {
                throw Failure(op, head, PullForbidden(op, head, image.Repository), NotFound(image));
            }

            var digest = head.Header("Docker-Content-Digest");
            if (head.Status == HttpStatusCode.OK && digest is not null && ImageReference.IsValidDigest(digest) &&
                (image.Digest is null || string.Equals(digest, image.Digest, StringComparison.Ordinal)))
            {
                long? size = long.TryParse(head.Header("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
                var probed = new ManifestDigest(digest, ManifestPin.MediaType(head.Header("Content-Type")) ?? "unknown", size);
                var result = RegistryResult<ManifestDigest>.Success(probed, $"{Display(image)} is {digest} on {op.Host.Host} (HEAD)");
                return result with { Check = result.Check with { RateLimit = RegistryRateLimit.From(head) } };
            }

            var get = await GetManifestAsync(op, image, cancellationToken);
            var manifest = ManifestPin.Pin(op.Host.Host, Display(image), image.Digest, get);
            var via = head.Status == HttpStatusCode.OK ? "HEAD named no digest" : $"HEAD refused with {(int)head.Status}";
            var fetched = RegistryResult<ManifestDigest>.Success(manifest, $"{Display(image)} is {manifest.Digest} on {op.Host.Host} (GET: {via})");
            return fetched with { Check = fetched.Check with { RateLimit = RegistryRateLimit.From(get) } };
        }, cancellationToken);
    }

    // GET the manifest. An index/list yields the platforms of its entries ("linux/amd64",
    // "linux/arm/v7"), in its order, without duplicates and without the "unknown/unknown" entries
    // that BuildKit adds for attestations. A single-platform manifest yields the os/architecture of
    // its config blob (whose digest is checked). A schema 1 manifest yields linux/<architecture>.
    public Task<RegistryResult<IReadOnlyList<string>>> GetPlatformsAsync(RegistryHost host, ImageReference image, RegistryLogin? login, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(image);
        var op = new RegistryOperation(host, login);
        return RunAsync(op, async () =>
        {
            var reference = image.Digest ?? image.Tag ?? "latest";
            var scope = Scope(image.Repository, RegistryAccess.Pull);
            var reply = await _auth.SendAsync(op, HttpMethod.Get, $"v2/{image.Repository}/manifests/{reference}", scope, RegistryMediaTypes.ManifestAccept, MaxManifestBytes, fresh: false, cancellationToken);
            if (reply.Status != HttpStatusCode.OK)
            {
                throw Failure(op, reply, PullForbidden(op, reply, image.Repository), NotFound(image));
            }

            List<string> platforms;
            using (var doc = ParseJson(reply.Body, $"the manifest of {Display(image)}"))
            {
                var root = doc.RootElement;
                var mediaType = ManifestPin.MediaType(reply.Header("Content-Type"));
                if (root.TryGetProperty("mediaType", out var declared) && declared.ValueKind == JsonValueKind.String)
                {
                    mediaType = declared.GetString();
                }

                if (RegistryMediaTypes.IsIndex(mediaType) || (root.TryGetProperty("manifests", out var m) && m.ValueKind == JsonValueKind.Array))
                {
                    platforms = IndexPlatforms(root);
                }
                else if (root.TryGetProperty("schemaVersion", out var version) && version.ValueKind == JsonValueKind.Number && version.GetInt32() == 1)
                {
                    platforms = root.TryGetProperty("architecture", out var arch) && arch.ValueKind == JsonValueKind.String
                        ? ["linux/" + arch.GetString()]
                        : throw new RegistryFailureException(RegistryFailureKind.Other, $"the schema 1 manifest of {Display(image)} names no architecture");
                }
                else
                {
                    var configDigest = root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object &&
                                       config.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String
                        ? d.GetString()!
                        : throw new RegistryFailureException(RegistryFailureKind.Other, $"the manifest of {Display(image)} has no config digest");
                    platforms = [await ConfigPlatformAsync(op, image, configDigest, scope, cancellationToken)];
                }
            }

            return RegistryResult<IReadOnlyList<string>>.Success(platforms, $"{Display(image)} on {op.Host.Host} covers {(platforms.Count == 0 ? "no platform" : string.Join(", ", platforms))}");
        }, cancellationToken);
    }

    public void Dispose() => _transport.Dispose();

    private async Task<RegistryCheck> CheckPullAsync(RegistryOperation op, string repository, CancellationToken cancellationToken)
    {
        var reply = await _auth.SendAsync(op, HttpMethod.Get, $"v2/{repository}/tags/list?n=1", Scope(repository, RegistryAccess.Pull), accept: null, maxBody: 64 * 1024, fresh: false, cancellationToken);
        if (reply.Status == HttpStatusCode.OK)
        {
            return RegistryCheck.Success($"pull allowed for {repository} on {op.Host.Host}");
        }

        if (reply.Status == HttpStatusCode.NotFound && RegistryError.HasCode(RegistryError.Parse(reply.Body), "NAME_UNKNOWN"))
        {
            return RegistryCheck.Success($"pull allowed for {repository} on {op.Host.Host}; the repository holds no images yet");
        }

        throw Failure(op, reply, PullForbidden(op, reply, repository), $"repository {repository} not found on {op.Host.Host}; check that the registry URL matches the image path");
    }

    private async Task<RegistryCheck> CheckPushAsync(RegistryOperation op, string repository, CancellationToken cancellationToken)
    {
        var reply = await _auth.SendAsync(op, HttpMethod.Post, $"v2/{repository}/blobs/uploads/", Scope(repository, RegistryAccess.Push), accept: null, maxBody: 64 * 1024, fresh: false, cancellationToken);
        if (reply.Status != HttpStatusCode.Accepted)
        {
            var who = reply.Auth.Kind == AuthKind.Bearer ? "token" : "login";
            var forbidden = $"forbidden: {who} lacks push permission for {repository} on {op.Host.Host}";
            throw Failure(op, reply, forbidden, $"repository {repository} not found on {op.Host.Host}");
        }

        if (reply.Header("Location") is { } location && Uri.TryCreate(reply.Uri, location, out var upload))
        {
            try
            {
                await CancelUploadAsync(op, reply, upload, cancellationToken);
            }
            catch (RegistryFailureException)
            {
                // Best effort: the upload holds no data, and registries purge abandoned uploads.
            }
        }

        return RegistryCheck.Success($"push allowed for {repository} on {op.Host.Host}");
    }

    private async Task<string> ConfigPlatformAsync(RegistryOperation op, ImageReference image, string configDigest, string scope, CancellationToken cancellationToken)
    {
        if (!ImageReference.IsValidDigest(configDigest))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"the manifest of {Display(image)} names an invalid config digest \"{RegistryText.Printable(configDigest)}\"");
        }

        var reply = await _auth.SendAsync(op, HttpMethod.Get, $"v2/{image.Repository}/blobs/{configDigest}", scope, accept: null, MaxConfigBytes, fresh: false, cancellationToken);
        if (reply.Status != HttpStatusCode.OK)
        {
            throw Failure(op, reply, PullForbidden(op, reply, image.Repository), $"config blob {configDigest} of {Display(image)} not found on {op.Host.Host}");
        }

        if (configDigest.StartsWith("sha256:", StringComparison.Ordinal) &&
            !string.Equals("sha256:" + Convert.ToHexStringLower(SHA256.HashData(reply.Body)), configDigest, StringComparison.Ordinal))
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"config blob {configDigest} of {Display(image)} from {op.Host.Host} does not match its digest");
        }

        using var doc = ParseJson(reply.Body, $"the config of {Display(image)}");
        var root = doc.RootElement;
        var os = String(root, "os");
        var architecture = String(root, "architecture");
        if (os is null || architecture is null)
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{Display(image)} is not a container image: its config names no os/architecture");
        }

        return Platform(os, architecture, String(root, "variant"));
    }

    private async Task<RegistryReply> GetManifestAsync(RegistryOperation op, ImageReference image, CancellationToken cancellationToken)
    {
        var reply = await _auth.SendAsync(op, HttpMethod.Get, ManifestPath(image), Scope(image.Repository, RegistryAccess.Pull), RegistryMediaTypes.ManifestAccept, MaxManifestBytes, fresh: false, cancellationToken);
        return reply.Status == HttpStatusCode.OK ? reply : throw Failure(op, reply, PullForbidden(op, reply, image.Repository), NotFound(image));
    }

    private static string ManifestPath(ImageReference image) => $"v2/{image.Repository}/manifests/{image.Digest ?? image.Tag ?? "latest"}";

    private static async Task<RegistryCheck> RunAsync(RegistryOperation op, Func<Task<RegistryCheck>> body, CancellationToken cancellationToken)
    {
        try
        {
            return op.Redact(await body());
        }
        catch (RegistryFailureException failure)
        {
            return op.Redact(failure.ToCheck());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return op.Redact(RegistryCheck.Fail(RegistryFailureKind.Other, $"unexpected failure talking to {op.Host.Host}: {e.GetType().Name}: {e.Message}"));
        }
    }

    private static async Task<RegistryResult<T>> RunAsync<T>(RegistryOperation op, Func<Task<RegistryResult<T>>> body, CancellationToken cancellationToken)
    {
        RegistryResult<T>? success = null;
        var check = await RunAsync(op, async () =>
        {
            success = await body();
            return success.Check;
        }, cancellationToken);
        return check.Ok && success is not null ? success with { Check = check } : RegistryResult<T>.Fail(check);
    }

    private RegistryFailureException Failure(RegistryOperation op, RegistryReply reply, string? forbidden, string? notFound) =>
        RegistryFailureMap.ForReply(reply, op.Host.Host, op.Login is not null, forbidden, notFound, _time.GetUtcNow());

    private async Task CancelUploadAsync(RegistryOperation op, RegistryReply started, Uri upload, CancellationToken cancellationToken)
    {
        var origin = started.Uri;
        var sameOrigin = RegistryText.SameOrigin(upload, origin);
        await _transport.SendAsync(op, op.Host.Insecure && sameOrigin, HttpMethod.Delete, upload, sameOrigin ? started.Auth.Header : null, accept: null,
            RegistryTransport.MaxErrorBodyBytes, authOrigin: origin, peer: "registry", cancellationToken);
    }

    private static List<string> IndexPlatforms(JsonElement root)
    {
        var platforms = new List<string>();
        if (!root.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
        {
            return platforms;
        }

        foreach (var entry in manifests.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object ||
                !entry.TryGetProperty("platform", out var platform) || platform.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var os = String(platform, "os");
            var architecture = String(platform, "architecture");
            if (os is null || architecture is null || os == "unknown" || architecture == "unknown")
            {
                continue; // attestation manifests, or an entry that names no platform
            }

            var name = Platform(os, architecture, String(platform, "variant"));
            if (!platforms.Contains(name, StringComparer.Ordinal))
            {
                platforms.Add(name);
            }
        }

        return platforms;
    }

    private static string Platform(string os, string architecture, string? variant) =>
        string.IsNullOrEmpty(variant) ? $"{os}/{architecture}" : $"{os}/{architecture}/{variant}";

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

    private static JsonDocument ParseJson(byte[] body, string what)
    {
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new RegistryFailureException(RegistryFailureKind.Other, $"{what} is not a JSON object");
            }

            return doc;
        }
        catch (JsonException e)
        {
            throw new RegistryFailureException(RegistryFailureKind.Other, $"{what} is not valid JSON ({e.Message})");
        }
    }

    private static string Scope(string repository, RegistryAccess access) =>
        $"repository:{repository}:{(access == RegistryAccess.Push ? "pull,push" : "pull")}";

    private static string Display(ImageReference image) =>
        image.Tag is null && image.Digest is null ? image.Canonical + ":latest" : image.Canonical;

    private static string NotFound(ImageReference image) =>
        $"image not found: {Display(image)}; check that the registry URL matches the image path";

    private static string PullForbidden(RegistryOperation op, RegistryReply reply, string repository) =>
        $"forbidden: {(reply.Auth.Kind == AuthKind.Bearer ? "token" : "login")} lacks pull permission for {repository} on {op.Host.Host} (or the repository does not exist)";

    }
