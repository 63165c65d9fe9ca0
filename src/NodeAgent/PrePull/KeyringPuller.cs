using Cluster.Core.Credentials;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Credentials;
using Cluster.NodeAgent.Engine;
using Cluster.Protos.Agent.V1;
using Docker.DotNet.Models;

namespace Cluster.NodeAgent.PrePull;

// Pulls one image through the node's keyring, the way kubelet does: every credential whose
// match fits the image, most specific first, is tried in turn until one works, and every
// failure is reported, not only the last. With no matching credential the pull is anonymous.
// The digest decides what is pulled; an image already present under that digest is not
// pulled again (swarm uses the local copy, so a registry outage cannot block the deployment).
internal sealed class KeyringPuller(IDockerEngine engine)
{
    public static CredentialKeyring<NodeCredential> BuildKeyring(AssignmentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var keyring = new CredentialKeyring<NodeCredential>();
        foreach (var credential in snapshot.Credentials.Values.OrderBy(c => c.Id, StringComparer.Ordinal))
        {
            try
            {
                keyring.Add(credential.Match, credential);
            }
            catch (ArgumentException)
            {
                // A match key that is not host[:port][/path] fits no image.
            }
        }

        return keyring;
    }

    // The reference the engine pulls and inspects: name@digest when pinned (the tag is only a
    // label then), else the reference as given.
    public static string PullReference(ImageReference image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Digest is { } digest ? $"{image.Name}@{digest}" : image.Canonical;
    }

    // deadline: cancelled when the order's deadline passes (reported as DEADLINE);
    // cancellationToken: the agent is stopping (thrown).
    public async Task<PullOutcome> PullAsync(
        ImageReference image,
        CredentialKeyring<NodeCredential> keyring,
        IProgress<JSONMessage>? progress,
        CancellationToken deadline,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(keyring);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline, cancellationToken);
        var reference = PullReference(image);
        var attempts = new List<string>();
        var kinds = new List<FailureKind>();
        try
        {
            if (image.Digest is not null && await engine.FindImageIdAsync(reference, linked.Token) is { } present)
            {
                return new PullOutcome { Ok = true, ImageId = present, Message = $"{image.Canonical} is already present on this node" };
            }

            var matches = keyring.Lookup(image);
            IReadOnlyList<NodeCredential?> candidates = matches.Count > 0 ? [.. matches] : [(NodeCredential?)null];
            foreach (var credential in candidates)
            {
                var who = credential is null ? "anonymous" : $"registry '{credential.Name}'";
                try
                {
                    await engine.PullImageAsync(image, credential?.ToLogin(), progress, linked.Token);
                    var id = await engine.FindImageIdAsync(reference, linked.Token) ?? "";
                    return new PullOutcome { Ok = true, ImageId = id, Attempts = attempts, Message = $"pulled {image.Canonical} ({who})" };
                }
                catch (Exception e) when (e is OperationCanceledException or DockerOperationException &&
                    deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // A pull cut off by the deadline may surface as an engine error too.
                    attempts.Add($"{who}: deadline passed during the pull");
                    throw new OperationCanceledException(deadline);
                }
                catch (DockerOperationException e)
                {
                    attempts.Add($"{who}: {EngineFailures.Describe(e.Kind, e.Detail)}");
                    kinds.Add(EngineFailures.ToProto(e.Kind));
                    // Another credential cannot help a full disk or a failing engine.
                    if (e.Kind is RegistryFailureKind.NoSpace or RegistryFailureKind.Engine)
                    {
                        break;
                    }
                }
            }
        }
        catch (DockerOperationException e)
        {
            // The presence check or the image inspection failed: the engine, not a registry.
            attempts.Add($"engine: {EngineFailures.Describe(e.Kind, e.Detail)}");
            kinds.Add(EngineFailures.ToProto(e.Kind));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new PullOutcome
            {
                Ok = false,
                Failure = FailureKind.Deadline,
                Attempts = attempts,
                Message = $"could not pull {image.Canonical} on this node before the deadline" + Summary(attempts),
            };
        }

        return new PullOutcome
        {
            Ok = false,
            Failure = MostTelling(kinds),
            Attempts = attempts,
            Message = $"could not pull {image.Canonical} on this node" + Summary(attempts),
        };
    }

    // A full disk or a failing engine explains every attempt; otherwise the most specific
    // credential's failure is the one the operator meant to work.
    internal static FailureKind MostTelling(IReadOnlyList<FailureKind> kinds) =>
        kinds.Contains(FailureKind.NoSpace) ? FailureKind.NoSpace
        : kinds.Contains(FailureKind.Engine) ? FailureKind.Engine
        : kinds.Count > 0 ? kinds[0]
        : FailureKind.Other;

    private static string Summary(List<string> attempts) => attempts.Count == 0 ? "" : ": " + string.Join("; ", attempts);
}
