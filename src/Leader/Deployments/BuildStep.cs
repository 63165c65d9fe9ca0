using Cluster.Core.Images;
using Cluster.Leader.Apps;
using Cluster.Leader.Builds;

namespace Cluster.Leader.Deployments;

// Step "build" of a deployment of a git app or of an app built from an uploaded folder
// (StepOrder.Build, before resolve): the build server fetches (the commit, or the folder from
// the leader), builds and pushes (or keeps the image local on a single-node cluster), and the
// deployment continues with the image it produced: pushed images are pinned by the digest the
// registry stored (resolve trusts it; pre-pull and rollout follow as for any image), local ones
// by their build-unique tag. A failed, cancelled or timed-out build stops the deployment here,
// before any node or service is touched, with the failing step and its last lines.
public sealed class BuildStep(BuildService builds, Storage.LeaderDatabase db) : IDeploymentStep
{
    public string Name => "build";

    public int Order => StepOrder.Build;

    public bool AppliesTo(DeploymentContext context) => context is { App.Source: AppSources.Git or AppSources.Dir };

    public async Task<StepOutcome> RunAsync(DeploymentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var app = context.App;
        var journal = context.Journal;
        var upload = context.Request.Upload;
        if (app.Source == AppSources.Dir && upload is null && !context.Request.Migration)
        {
            return StepOutcome.Failed(Sources.SourceRules.MissingUpload(app)!);
        }

        BuiltImage built;
        if (context.Request.Migration)
        {
            // Out of registry-less mode: the image the service runs is pushed as it is; the
            // deployment keeps the source and commit of the one that built it.
            var origin = app.LastDeployment.Length > 0 ? db.Read(d => d.Deployments.FindById(app.LastDeployment)) : null;
            journal.SetSource(origin?.Source ?? "", origin?.SourceSha256 ?? "", origin?.SourceBytes ?? 0);
            journal.Say($"the swarm has more than one node now: moving app '{app.Name}' off the registry-less image {app.Image}:{app.Tag}, which only one node holds");
            built = await builds.PushLocalAsync(app, journal.Id, journal.Say, journal.BuildLine, cancellationToken);
        }
        else if (upload is not null)
        {
            journal.SetSource(upload.Source, upload.Sha256, upload.Bytes);
            try
            {
                built = await builds.BuildAsync(app, journal.Id, upload, journal.Say, journal.BuildLine, cancellationToken);
            }
            finally
            {
                // The folder lives as long as its build, whatever the outcome.
                upload.Dispose();
            }
        }
        else
        {
            journal.SetSource($"{app.GitUrl}@{(app.GitRef.Length > 0 ? app.GitRef : "HEAD")}");
            built = await builds.BuildAsync(app, journal.Id, null, journal.Say, journal.BuildLine, cancellationToken);
        }

        if (!built.Ok)
        {
            journal.SetBuild(built.Commit, "", "", built.Builder, false);
            return StepOutcome.Failed(built.Error);
        }

        journal.SetBuild(built.Commit, built.Pinned, built.Digest, built.Builder, built.Local);
        context.Image = ImageReference.Parse($"{built.Repository}:{built.Tag}");
        context.LocalImage = built.Local;
        context.LocalImageNode = built.LocalNode;
        if (!built.Local)
        {
            context.Digest = built.Digest;
            journal.SetDigest(built.Digest);
        }

        journal.Say(context.Request.Migration ? $"pushed the registry-less image as {built.Pinned}; pre-pull, rollout and confirm follow" : upload is null ? $"built commit {built.Commit[..Math.Min(12, built.Commit.Length)]} as {built.Pinned}" : $"built the uploaded folder '{upload.Name}' as {built.Pinned}");
        return StepOutcome.Next;
    }
}
