using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Lab.Tests.Fixture;

namespace Cluster.Lab.Tests.Registry;

// The lab's two registries as RegistryClient sees them, and what the registry tests share:
// unique token-server users, images built and pushed through the manager's engine, and the
// check that no message leaks a secret.
public static class LabRegistries
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    // Both serve plain HTTP on the lab bridge, so they are added as insecure (as every lab engine
    // has them in --insecure-registry).
    public static RegistryHost Basic(LabFixture lab) => new(lab.Env.Registry, Insecure: true);

    public static RegistryHost Token(LabFixture lab) => new(lab.Env.TokenRegistry, Insecure: true);

    public static RegistryLogin BasicLogin(LabFixture lab) => new(lab.Env.Registry, lab.Env.RegistryUser, lab.Env.RegistryPassword);

    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    // A token-server user with a random password and these grants.
    public static RegistryLogin AddTokenUser(LabFixture lab, params TokenGrant[] grants)
    {
        var user = UniqueName("u");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        lab.Tokens.AddUser(user, password, grants);
        return new RegistryLogin(lab.Env.TokenRegistry, user, password);
    }

    // Builds a fresh image (unique content) on the manager, pushes it with login, and returns the
    // reference and the digest the engine reported.
    public static async Task<(ImageReference Image, string Digest)> PushNewImageAsync(LabFixture lab, string registry, string repository, RegistryLogin login, CancellationToken cancellationToken)
    {
        var tag = UniqueName("t");
        var image = ImageReference.Parse($"{registry}/{repository}:{tag}");
        using var manager = new DockerEngine(lab.Env.ManagerSocket);
        await manager.BuildImageAsync(TestImages.Context(tag), image.Canonical, log: null, cancellationToken);
        var digest = await manager.PushImageAsync(image, login, cancellationToken);
        return (image, digest);
    }

    public static void AssertNoSecret(RegistryCheck check, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(check);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, check.Message, StringComparison.Ordinal);
        }
    }

    public static void AssertFailure(RegistryCheck check, RegistryFailureKind kind)
    {
        ArgumentNullException.ThrowIfNull(check);
        Assert.False(check.Ok, check.Message);
        Assert.True(kind == check.Failure, $"expected {kind}, got {check.Failure}: {check.Message}");
    }

    public static void AssertOk(RegistryCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        Assert.True(check.Ok, $"{check.Failure}: {check.Message}");
        Assert.Null(check.Failure);
    }
}
