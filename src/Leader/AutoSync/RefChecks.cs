using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Builds;
using Cluster.Leader.Credentials;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.AutoSync;

// The real checks: a manifest HEAD through the registry client (same credential choice as
// deployments) for image refs, a build server's `git ls-remote` for Git refs (BuilderGitHeads).
public sealed class RefChecks(CredentialService credentials, RegistryClient registry, BuilderGitHeads git) : IRefChecks
{
    public Task<CheckOutcome> CheckAsync(SyncRef syncRef, AppRecord app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(syncRef);
        ArgumentNullException.ThrowIfNull(app);
        return syncRef.Kind == SyncRefKind.Git
            ? HeadAsync(app, cancellationToken)
            : DigestAsync(syncRef, app, cancellationToken);
    }

    private async Task<CheckOutcome> HeadAsync(AppRecord app, CancellationToken cancellationToken)
    {
        var head = await git.HeadAsync(app.GitUrl, app.GitRef, app.GitCredential, cancellationToken);
        return head.Ok ? CheckOutcome.Found(head.Commit) : CheckOutcome.Failed(head.Error);
    }

    private async Task<CheckOutcome> DigestAsync(SyncRef syncRef, AppRecord app, CancellationToken cancellationToken)
    {
        try
        {
            var image = ImageReference.Parse($"{app.Image}:{app.Tag}");
            var (login, insecure) = LoginFor(app, image);
            var host = RegistryHost.Parse(image.Registry, insecure);
            // HEAD where the registry allows it (Docker Hub does not count it), GET where HEAD is refused.
            var result = await registry.ProbeDigestAsync(host, image, login, cancellationToken);
            var outcome = result.Check.Ok
                ? CheckOutcome.Found(result.Value!.Digest)
                : CheckOutcome.Failed(result.Check.Message, result.Check.RetryAfter);
            return outcome with { RateLimitRemaining = result.Check.RateLimit?.Remaining, RateLimitWindow = result.Check.RateLimit?.Window };
        }
        catch (OperationException e)
        {
            // The app's credential was removed or cannot be opened: a failed check, said so.
            return CheckOutcome.Failed($"cannot check {syncRef}: {e.Message}");
        }
        catch (FormatException e)
        {
            return CheckOutcome.Failed($"cannot check {syncRef}: {e.Message}");
        }
    }

    // The app's own credential, else the keyring's most specific match, else anonymous: the same
    // choice the deployment itself makes.
    private (RegistryLogin? Login, bool Insecure) LoginFor(AppRecord app, ImageReference image)
    {
        if (app.Registry.Length > 0)
        {
            return (credentials.LoginOf(app.Registry), credentials.Get(app.Registry).Insecure);
        }

        var ring = new CredentialKeyring<CredentialView>();
        foreach (var c in credentials.List())
        {
            ring.Add(c.Url, c);
        }

        return ring.Lookup(image) is [var best, ..] ? (credentials.LoginOf(best.Name), best.Insecure) : (null, false);
    }
}
