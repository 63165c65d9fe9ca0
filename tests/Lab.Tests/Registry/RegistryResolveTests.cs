using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;
using static Cluster.Lab.Tests.Registry.LabRegistries;

namespace Cluster.Lab.Tests.Registry;

// RegistryClient.ResolveAsync and GetPlatformsAsync against images really pushed by a lab engine,
// and the Bearer token cache seen from the token server's side.
[Collection(LabCollection.Name)]
public sealed class RegistryResolveTests(LabFixture lab)
{
    [Fact]
    public async Task Resolve_ExistingTagOnBasicRegistry_DigestEqualsPushed()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "resolve/basic", BasicLogin(lab), cts.Token);

        var result = await client.ResolveAsync(Basic(lab), image, BasicLogin(lab), cts.Token);

        AssertOk(result.Check);
        Assert.NotNull(result.Value);
        Assert.Equal(pushed, result.Value.Digest);
        Assert.Equal(RegistryMediaTypes.DockerManifest, result.Value.MediaType);
        Assert.True(result.Value.Size > 0);
        AssertNoSecret(result.Check, lab.Env.RegistryPassword);
    }

    [Fact]
    public async Task Resolve_ExistingTagOnTokenRegistry_DigestEqualsPushed()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("resolve/*"));
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.TokenRegistry, "resolve/token", pusher, cts.Token);

        var result = await client.ResolveAsync(Token(lab), image, pusher, cts.Token);

        AssertOk(result.Check);
        Assert.Equal(pushed, result.Value!.Digest);
    }

    [Fact]
    public async Task Resolve_MissingTag_NotFoundWithImageNotFoundMessage()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var reader = AddTokenUser(lab, TokenGrant.Pull("*"));
        var image = ImageReference.Parse($"{lab.Env.TokenRegistry}/resolve/missing:{UniqueName("t")}");

        var result = await client.ResolveAsync(Token(lab), image, reader, cts.Token);

        AssertFailure(result.Check, RegistryFailureKind.NotFound);
        Assert.Null(result.Value);
        Assert.Equal($"image not found: {image.Canonical}; check that the registry URL matches the image path", result.Check.Message);
        AssertNoSecret(result.Check, reader.Secret);
    }

    [Fact]
    public async Task Resolve_ByDigest_ReturnsThatDigest()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "resolve/bydigest", BasicLogin(lab), cts.Token);
        var pinned = ImageReference.Parse($"{image.Name}@{pushed}");

        var result = await client.ResolveAsync(Basic(lab), pinned, BasicLogin(lab), cts.Token);

        AssertOk(result.Check);
        Assert.Equal(pushed, result.Value!.Digest);
    }

    [Fact]
    public async Task Resolve_SecondCall_DoesNotRequestAnotherToken()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("*"));
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.TokenRegistry, "resolve/cache", pusher, cts.Token);
        var before = lab.Tokens.RequestCount(pusher.Username);

        var first = await client.ResolveAsync(Token(lab), image, pusher, cts.Token);
        var afterFirst = lab.Tokens.RequestCount(pusher.Username);
        var second = await client.ResolveAsync(Token(lab), image, pusher, cts.Token);
        var afterSecond = lab.Tokens.RequestCount(pusher.Username);

        Assert.Equal(pushed, first.Value!.Digest);
        Assert.Equal(pushed, second.Value!.Digest);
        Assert.Equal(before + 1, afterFirst);
        Assert.Equal(afterFirst, afterSecond);
    }

    [Fact]
    public async Task Resolve_AfterTokenExpiry_RequestsNewToken()
    {
        using var cts = new CancellationTokenSource(Deadline);
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using var client = new RegistryClient(time: clock);
        var pusher = AddTokenUser(lab, TokenGrant.PullPush("*"));
        var (image, _) = await PushNewImageAsync(lab, lab.Env.TokenRegistry, "resolve/expiry", pusher, cts.Token);

        AssertOk((await client.ResolveAsync(Token(lab), image, pusher, cts.Token)).Check);
        var afterFirst = lab.Tokens.RequestCount(pusher.Username);
        clock.Advance(lab.Tokens.TokenLifetime); // the client's clock says the token has expired
        AssertOk((await client.ResolveAsync(Token(lab), image, pusher, cts.Token)).Check);

        Assert.Equal(afterFirst + 1, lab.Tokens.RequestCount(pusher.Username));
    }

    [Fact]
    public async Task GetPlatforms_SingleManifest_ReadsConfigPlatform()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var (image, _) = await PushNewImageAsync(lab, lab.Env.Registry, "platforms/single", BasicLogin(lab), cts.Token);
        using var manager = new Cluster.Core.Docker.DockerEngine(lab.Env.ManagerSocket);
        var info = await manager.GetInfoAsync(cts.Token);

        var result = await client.GetPlatformsAsync(Basic(lab), image, BasicLogin(lab), cts.Token);

        AssertOk(result.Check);
        Assert.Equal(["linux/" + info.Architecture], result.Value);
    }

    // A multi-arch image: a manifest list (pushed here by hand, as buildx would) whose entries
    // point at the pushed manifest under three platforms, one of them an attestation.
    [Fact]
    public async Task ResolveAndGetPlatforms_ManifestList_IndexDigestAndEveryPlatform()
    {
        using var cts = new CancellationTokenSource(Deadline);
        using var client = new RegistryClient();
        var login = BasicLogin(lab);
        var (image, pushed) = await PushNewImageAsync(lab, lab.Env.Registry, "platforms/multi", login, cts.Token);
        var single = (await client.ResolveAsync(Basic(lab), image, login, cts.Token)).Value!;
        var list = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = RegistryMediaTypes.DockerManifestList,
            manifests = new object[]
            {
                new { mediaType = single.MediaType, digest = pushed, size = single.Size, platform = new { os = "linux", architecture = "amd64" } },
                new { mediaType = single.MediaType, digest = pushed, size = single.Size, platform = new { os = "linux", architecture = "arm", variant = "v7" } },
                new { mediaType = single.MediaType, digest = pushed, size = single.Size, platform = new { os = "unknown", architecture = "unknown" } },
            },
        });
        var listDigest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(list));
        var multi = image.WithTag(UniqueName("multi"));
        await PutManifestAsync(multi, list, RegistryMediaTypes.DockerManifestList, login, cts.Token);

        var resolved = await client.ResolveAsync(Basic(lab), multi, login, cts.Token);
        var platforms = await client.GetPlatformsAsync(Basic(lab), multi, login, cts.Token);

        AssertOk(resolved.Check);
        Assert.Equal(listDigest, resolved.Value!.Digest);
        Assert.Equal(RegistryMediaTypes.DockerManifestList, resolved.Value.MediaType);
        AssertOk(platforms.Check);
        Assert.Equal(["linux/amd64", "linux/arm/v7"], platforms.Value);
    }

    private async Task PutManifestAsync(ImageReference image, byte[] manifest, string mediaType, RegistryLogin login, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{lab.Env["LAB_REGISTRY_URL"]}/v2/{image.Repository}/manifests/{image.Tag}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login.Username}:{login.Secret}")));
        request.Content = new ByteArrayContent(manifest);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await http.SendAsync(request, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"PUT manifest: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }
}
