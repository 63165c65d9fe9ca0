using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

// An in-memory registry (https://registry.test) with a Bearer token server (https://auth.test)
// and a blob CDN (https://cdn.test), behind the HttpMessageHandler that RegistryClient accepts.
// It records every request with its Authorization header. Behaviour is switched by its
// properties; Override answers first when it returns a response.
// Only for what the lab's real registries cannot show (clocks, odd servers, redirects); the
// real protocol is tested against the lab in Lab.Tests.
public sealed class FakeRegistry : HttpMessageHandler
{
    public const string Host = "registry.test";
    public const string User = "alice";
    public const string Password = "s3cret-Pa55word";

    private readonly List<Seen> _seen = [];
    private int _tokens;

    public sealed record Seen(HttpMethod Method, Uri Uri, string? Authorization);

    public IReadOnlyList<Seen> Requests
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public int TokenRequests => Requests.Count(r => r.Uri.Host == "auth.test");

    public string Realm { get; set; } = "https://auth.test/token";

    // expires_in in the token answer (null: omitted), and issued_at (null: omitted).
    public int? ExpiresIn { get; set; } = 300;

    public DateTimeOffset? IssuedAt { get; set; }

    // Tokens the registry refuses with error="invalid_token" (revoked), and whether it refuses
    // every token with error="insufficient_scope".
    public HashSet<string> Revoked { get; } = [];

    public bool InsufficientScope { get; set; }

    // Manifests by tag or digest: (media type, body).
    public Dictionary<string, (string MediaType, byte[] Body)> Manifests { get; } = new(StringComparer.Ordinal);

    // Blobs by digest; served through a 307 to the CDN when BlobsOnCdn.
    public Dictionary<string, byte[]> Blobs { get; } = new(StringComparer.Ordinal);

    public bool BlobsOnCdn { get; set; }

    public bool SendDigestHeader { get; set; } = true;

    public Func<HttpRequestMessage, HttpResponseMessage?>? Override { get; set; }

    public static RegistryHost RegistryHost => new(Host, Insecure: false);

    public static RegistryLogin Login => new(Host, User, Password);

    public static string Digest(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    // Adds a single-platform image (config + manifest) under tag; returns the manifest digest.
    public string AddImage(string repository, string tag, string os = "linux", string architecture = "amd64")
    {
        var config = JsonSerializer.SerializeToUtf8Bytes(new { os, architecture, rootfs = new { type = "layers", diff_ids = Array.Empty<string>() } });
        Blobs[Digest(config)] = config;
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = RegistryMediaTypes.DockerManifest,
            config = new { mediaType = "application/vnd.docker.container.image.v1+json", size = config.Length, digest = Digest(config) },
            layers = Array.Empty<object>(),
        });
        var digest = Digest(manifest);
        Manifests[$"{repository}:{tag}"] = (RegistryMediaTypes.DockerManifest, manifest);
        Manifests[$"{repository}@{digest}"] = (RegistryMediaTypes.DockerManifest, manifest);
        return digest;
    }

    public string AddIndex(string repository, string tag, params (string Os, string Architecture, string? Variant)[] platforms)
    {
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = RegistryMediaTypes.OciIndex,
            manifests = platforms.Select(p => new
            {
                mediaType = RegistryMediaTypes.OciManifest,
                digest = "sha256:" + new string('a', 64),
                size = 1,
                platform = p.Variant is null ? (object)new { os = p.Os, architecture = p.Architecture } : new { os = p.Os, architecture = p.Architecture, variant = p.Variant },
            }).ToArray(),
        });
        var digest = Digest(index);
        Manifests[$"{repository}:{tag}"] = (RegistryMediaTypes.OciIndex, index);
        Manifests[$"{repository}@{digest}"] = (RegistryMediaTypes.OciIndex, index);
        return digest;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_seen)
        {
            _seen.Add(new Seen(request.Method, request.RequestUri!, request.Headers.Authorization?.ToString()));
        }

        if (Override?.Invoke(request) is { } overridden)
        {
            return overridden;
        }

        await Task.Yield();
        var uri = request.RequestUri!;
        return uri.Host switch
        {
            "auth.test" => TokenAnswer(request),
            "cdn.test" => Blobs.TryGetValue(uri.AbsolutePath.TrimStart('/'), out var blob) ? Bytes(HttpStatusCode.OK, blob, "application/octet-stream") : Status(HttpStatusCode.NotFound),
            Host => RegistryAnswer(request),
            _ => throw new HttpRequestException(HttpRequestError.NameResolutionError, $"Name or service not known ({uri.Host}:{uri.Port})"),
        };
    }

    public static HttpResponseMessage Status(HttpStatusCode status, string? json = null)
    {
        var response = new HttpResponseMessage(status);
        if (json is not null)
        {
            response.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return response;
    }

    private static HttpResponseMessage Bytes(HttpStatusCode status, byte[] body, string mediaType)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(body) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return response;
    }

    private HttpResponseMessage TokenAnswer(HttpRequestMessage request)
    {
        var auth = request.Headers.Authorization;
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
        if (auth is null || auth.Scheme != "Basic" || auth.Parameter != expected)
        {
            return Status(HttpStatusCode.Unauthorized, """{"details":"incorrect username or password"}""");
        }

        var token = "tok-" + Interlocked.Increment(ref _tokens);
        var answer = new Dictionary<string, object> { ["token"] = token };
        if (ExpiresIn is { } expires)
        {
            answer["expires_in"] = expires;
        }

        if (IssuedAt is { } issued)
        {
            answer["issued_at"] = issued.ToString("O");
        }

        return Status(HttpStatusCode.OK, JsonSerializer.Serialize(answer));
    }

    private HttpResponseMessage RegistryAnswer(HttpRequestMessage request)
    {
        var auth = request.Headers.Authorization;
        var path = request.RequestUri!.AbsolutePath;
        var challenge = $"Bearer realm=\"{Realm}\",service=\"{Host}\"";
        if (auth is null || auth.Scheme != "Bearer")
        {
            return Unauthorized(challenge);
        }

        if (Revoked.Contains(auth.Parameter!))
        {
            return Unauthorized(challenge + ",error=\"invalid_token\"");
        }

        if (InsufficientScope)
        {
            return Unauthorized(challenge + ",error=\"insufficient_scope\"");
        }

        if (path == "/v2/")
        {
            return Status(HttpStatusCode.OK, "{}");
        }

        var manifest = System.Text.RegularExpressions.Regex.Match(path, "^/v2/(.+)/manifests/(.+)$");
        if (manifest.Success)
        {
            var reference = manifest.Groups[2].Value;
            var key = manifest.Groups[1].Value + (reference.StartsWith("sha256:", StringComparison.Ordinal) ? "@" : ":") + reference;
            if (!Manifests.TryGetValue(key, out var found))
            {
                return Status(HttpStatusCode.NotFound, """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}""");
            }

            var response = Bytes(HttpStatusCode.OK, found.Body, found.MediaType);
            if (SendDigestHeader)
            {
                response.Headers.TryAddWithoutValidation("Docker-Content-Digest", Digest(found.Body));
            }

            return response;
        }

        var blob = System.Text.RegularExpressions.Regex.Match(path, "^/v2/(.+)/blobs/(sha256:[0-9a-f]+)$");
        if (blob.Success && Blobs.TryGetValue(blob.Groups[2].Value, out var content))
        {
            if (BlobsOnCdn)
            {
                var redirect = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
                redirect.Headers.Location = new Uri("https://cdn.test/" + blob.Groups[2].Value);
                return redirect;
            }

            return Bytes(HttpStatusCode.OK, content, "application/octet-stream");
        }

        return Status(HttpStatusCode.NotFound, """{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}""");
    }

    private static HttpResponseMessage Unauthorized(string challenge)
    {
        var response = Status(HttpStatusCode.Unauthorized, """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}""");
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", challenge);
        return response;
    }
}
