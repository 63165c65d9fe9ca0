using Cluster.Core.Images;
using Cluster.Core.Registry;

namespace Cluster.Leader.Deployments;

// Step "resolve": the tag becomes a digest, once, on the leader, with the app's credential (or
// the keyring's best match). Every later step uses the digest, so every node runs the same
// bytes; an unknown tag stops the deployment here, before any node or the service is touched.
// A registry that rate-limits (429) is asked again after its Retry-After, within
// DeploymentOptions.ResolveDeadline and RegistryRetry's bounded tries (issue #13.4).
public sealed class ResolveStep(RegistryClient registry, LoginChooser logins, DeploymentOptions options, TimeProvider time) : IDeploymentStep
{
    public string Name => "resolve";

    public int Order => StepOrder.Resolve;

    // Not for an image kept local by a registry-less build: there is no registry to ask.
    public bool AppliesTo(DeploymentContext context) => context is { LocalImage: false };

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var image = context.Image;
        var (login, insecure, credentialName) = logins.For(context.App, image);
        context.Login = login;
        context.CredentialName = credentialName;
        context.Host = RegistryHost.Parse(image.Registry, insecure);
        if (context.Digest is not null)
        {
            // An earlier step (a build) produced the image and knows its digest.
            context.Journal.Say($"{image.FamiliarString} is {context.Digest}");
            return StepOutcome.Next;
        }

        var pinned = image.Digest;
        var resolved = await registry.ResolveAsync(context.Host, image, login, time.GetUtcNow() + options.ResolveDeadline, cancellationToken,
            (refused, wait) => context.Journal.Say($"{refused.Message}; asking again in {wait.TotalSeconds:0.###} s"));
        if (!resolved.Check.Ok)
        {
            return StepOutcome.Failed(resolved.Check.Failure == RegistryFailureKind.NotFound
                ? $"image not found: {image.Canonical}; check that the registry URL matches the image path"
                : $"cannot resolve {image.Canonical}{(credentialName is null ? "" : $" with registry '{credentialName}'")}: {resolved.Check.Message}");
        }

        context.Digest = resolved.Value!.Digest;
        context.Journal.SetDigest(context.Digest);
        if (pinned is null)
        {
            context.Journal.Say($"resolved {image.FamiliarString} to {context.Digest}");
            return StepOutcome.Next;
        }

        // Pinned (`--image REF@sha256:...`): the registry served exactly that digest (resolve
        // checked the bytes). The tag is only compared, never deployed: Docker's rule, the digest
        // wins. A tag that cannot be checked is said, not fatal.
        context.Journal.Say($"pinned to {pinned}; the registry serves it");
        if (context.App.PinnedWithTag)
        {
            var tagged = ImageReference.Parse($"{image.Name}:{context.Tag}");
            var now = await registry.ProbeDigestAsync(context.Host, tagged, login, cancellationToken);
            context.Journal.Say(!now.Check.Ok
                ? $"could not check where tag {context.Tag} points now ({now.Check.Message}); deploying the pinned digest"
                : now.Value!.Digest == pinned
                    ? $"tag {context.Tag} still points to {pinned}"
                    : $"tag {context.Tag} now points to {now.Value.Digest}, not the pinned {pinned}; deploying the pinned digest (a digest wins over its tag, as in Docker). To follow the tag: clusterctl app set {context.App.Name} --tag {context.Tag}");
        }

        return StepOutcome.Next;
    }
}
