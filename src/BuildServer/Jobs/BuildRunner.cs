using Cluster.BuildServer.Context;
using Cluster.BuildServer.Git;
using Cluster.BuildServer.Hosting;
using Cluster.Core.Builds;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Protos.Build.V1;
using Microsoft.Extensions.Logging;

namespace Cluster.BuildServer.Jobs;

// Runs one build job to exactly one BuildResult: fetch the commit and pack the context (or, for a
// folder the admin uploaded, fetch that tar from the leader and check it), build with the local
// engine, then push (or keep the image local in single-node mode). Every line the
// user should see goes to `log` as it happens. The job directory is deleted afterwards, whatever
// happened; the push credential lives only in memory for the duration of the push, a Git SSH key
// only in the fetch's own ssh-agent. A job holds a BuildActivity lease from start to result, so
// no prune of the engine's images runs while it builds or pushes.
internal sealed partial class BuildRunner(DockerEngine engine, GitFetcher git, BuilderOptions options, BuildActivity activity, ILogger<BuildRunner> log)
{
    // Lines kept for a failing step's report.
    public const int TailLines = 15;

    public const string CommitLabel = "cluster.commit";

    // On images built from an uploaded folder: the sha256 of the tar that was built.
    public const string ContextLabel = "cluster.context-sha256";

    // `fetchContext` writes the uploaded folder's tar to the stream it is given; only jobs with
    // `uploaded_context` use it.
    public async Task<BuildResult> RunAsync(BuildJob job, Action<string> say, Func<Stream, CancellationToken, Task>? fetchContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(say);
        var result = new BuildResult { JobId = job.JobId };
        var jobDir = Path.Combine(options.WorkDir, "jobs", SafeName(job.JobId));
        Log.Started(log, job.JobId, job.App, job.DeploymentId);
        try
        {
            using var lease = await activity.EnterJobAsync(cancellationToken);
            Directory.CreateDirectory(jobDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await BuildAsync(job, jobDir, result, say, fetchContext, cancellationToken);
            activity.Made(result.ImageId, result.Image);
            result.Ok = true;
            Log.Succeeded(log, job.JobId, result.Image);
        }
        catch (BuildFailure e)
        {
            Fill(result, e.Stage, e.Message, e.Step, e.LastLines);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var timedOut = job.Deadline is { } d && DateTimeOffset.UtcNow >= d.ToDateTimeOffset();
            Fill(result, timedOut ? "timeout" : "cancelled", timedOut
                ? $"the build did not finish before its deadline ({job.Deadline!.ToDateTimeOffset():u}); nothing was pushed. Raise it with --build-timeout"
                : "the build was cancelled; nothing was pushed", "", []);
        }
        catch (DockerOperationException e)
        {
            Fill(result, "build", $"the builder's Docker engine failed: {e.Message}", "", []);
        }
        finally
        {
            TryDelete(jobDir);
        }

        if (!result.Ok)
        {
            Log.Failed(log, job.JobId, result.FailedStage, result.Error);
        }

        return result;
    }

    // Auto-Sync's question: the commit a branch points at now (GitFetcher.HeadAsync), answered
    // with exactly one GitHeadResult; its own directory (pinned host keys, public key only) is
    // deleted afterwards. Bounded by `bound` whatever the leader's own deadline.
    public async Task<GitHeadResult> CheckHeadAsync(GitHeadCheck check, TimeSpan bound, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        var result = new GitHeadResult { CheckId = check.CheckId };
        var dir = Path.Combine(options.WorkDir, "heads", SafeName(check.CheckId));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);
        try
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            result.Commit = await git.HeadAsync(check.GitUrl, check.GitRef, dir, AuthOf(check.GitCredential), limit.Token);
            result.Ok = true;
        }
        catch (BuildFailure e)
        {
            result.Error = e.Message;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            result.Error = $"the build server could not run git to read the branch head of {check.GitUrl}: {e.Message}";
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            result.Error = cancellationToken.IsCancellationRequested
                ? "the build server stopped the check (its session ended)"
                : $"reading the branch head of {check.GitUrl} took longer than {bound.TotalSeconds:0} s";
        }
        finally
        {
            TryDelete(dir);
        }

        return result;
    }

    private static GitAuth? AuthOf(GitCredential? c) =>
        c is not null && (c.Token.Length > 0 || c.SshPrivateKey.Length > 0)
            ? new GitAuth(c.Username, c.Token) { Name = c.Name, SshPrivateKey = c.SshPrivateKey, KnownHosts = c.KnownHosts }
            : null;

    private async Task BuildAsync(BuildJob job, string jobDir, BuildResult result, Action<string> say, Func<Stream, CancellationToken, Task>? fetchContext, CancellationToken cancellationToken)
    {
        if (job.PushLocalImage.Length > 0)
        {
            await PushLocalAsync(job, result, say, cancellationToken);
            return;
        }

        var dockerfile = string.IsNullOrWhiteSpace(job.Dockerfile) ? "Dockerfile" : job.Dockerfile;
        var tarFile = Path.Combine(jobDir, "context.tar");
        string version;
        var labels = new Dictionary<string, string>(job.Labels, StringComparer.Ordinal);
        if (job.UploadedContext is { } uploaded)
        {
            if (fetchContext is null)
            {
                throw new BuildFailure("context", "this job's source is an uploaded folder, but the builder has no way to fetch it");
            }

            var entries = await ReceivedContext.ReceiveAsync(uploaded, dockerfile, fetchContext, tarFile, cancellationToken);
            say($"build context: the uploaded folder '{uploaded.Name}', {entries} entries, {ContextStream.Size(uploaded.SizeBytes)}, sha256 {uploaded.Sha256} verified");
            version = uploaded.Sha256[..12];
            labels[ContextLabel] = uploaded.Sha256;
        }
        else
        {
            var source = Path.Combine(jobDir, "src");
            var auth = AuthOf(job.GitCredential);
            var commit = await git.FetchAsync(job.GitUrl, job.GitRef, jobDir, source, auth, say, cancellationToken);
            result.GitCommit = commit;

            var contextDir = Path.GetFullPath(Path.Combine(source, job.ContextDir ?? ""));
            if (contextDir != source && !contextDir.StartsWith(source + "/", StringComparison.Ordinal))
            {
                throw new BuildFailure("context", $"--context '{job.ContextDir}' points outside the repository");
            }

            var files = ContextArchive.Write(contextDir, dockerfile, tarFile);
            say($"build context: {files} entries from {(string.IsNullOrWhiteSpace(job.ContextDir) ? "the repository root" : job.ContextDir)} (.dockerignore honoured)");
            version = commit[..12];
            labels[CommitLabel] = commit;
        }

        var tag = version + (job.TagSuffix.Length > 0 ? "-" + job.TagSuffix : "");
        var reference = $"{job.Image}:{tag}";
        var tail = new Queue<string>();
        var step = "";
        var lineLog = new SynchronousProgress<string>(line =>
        {
            if (line.StartsWith("Step ", StringComparison.Ordinal))
            {
                step = line;
                tail.Clear();
            }
            else
            {
                tail.Enqueue(line);
                if (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
            }

            say(line);
        });
        string imageId;
        await using (var tar = File.OpenRead(tarFile))
        {
            try
            {
                imageId = await engine.BuildImageAsync(tar, new ImageBuildRequest
                {
                    Tag = reference,
                    Dockerfile = dockerfile,
                    Target = job.TargetStage,
                    BuildArgs = job.BuildArgs,
                    Labels = labels,
                }, lineLog, cancellationToken);
            }
            catch (DockerOperationException e) when (!cancellationToken.IsCancellationRequested)
            {
                var where = step.Length > 0 ? $" at {step}" : "";
                throw new BuildFailure("build", $"the build failed{where}: {e.Detail}", step, [.. tail], e);
            }
        }

        result.ImageId = imageId;
        say($"built {reference} ({imageId})");
        cancellationToken.ThrowIfCancellationRequested();
        if (!job.Push)
        {
            result.Image = reference;
            say($"kept {reference} in the local engine (single-node: no registry needed)");
            return;
        }

        await PushAsync(job, reference, result, say, cancellationToken);
    }

    // Migration out of registry-less mode: the image an earlier single-node build left in this
    // engine is pushed as it is (same bytes, same tag) instead of building anything. Only an
    // image this product built for this very app qualifies (its labels say so), whatever its name.
    private async Task PushLocalAsync(BuildJob job, BuildResult result, Action<string> say, CancellationToken cancellationToken)
    {
        var local = job.PushLocalImage;
        var slash = local.LastIndexOf('/');
        var colon = local.LastIndexOf(':');
        if (colon <= slash || colon == local.Length - 1)
        {
            throw new BuildFailure("push", $"the local image '{local}' names no tag");
        }

        var images = await engine.ListImagesWithLabelAsync(ImageRetention.AppLabel, cancellationToken);
        var image = images.FirstOrDefault(i => i.RepoTags.Contains(local, StringComparer.Ordinal))
            ?? throw new BuildFailure("push", $"this build server's engine ({options.DockerHost}) does not hold the registry-less image {local}; deploy app '{job.App}' again to build and push it");
        if (!image.Labels.TryGetValue(ImageRetention.AppLabel, out var app) || app != job.App)
        {
            throw new BuildFailure("push", $"the local image {local} was not built for app '{job.App}' (its {ImageRetention.AppLabel} label is '{app}'); not pushing it");
        }

        result.GitCommit = image.Labels.TryGetValue(CommitLabel, out var commit) ? commit : "";
        result.ImageId = image.Id;
        var reference = $"{job.Image}:{local[(colon + 1)..]}";
        say($"migrating: pushing the registry-less image {local} ({image.Id}) as {reference}");
        try
        {
            await engine.TagImageAsync(image.Id, ImageReference.Parse(reference), cancellationToken);
        }
        catch (DockerOperationException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildFailure("push", $"cannot tag {local} as {reference}: {e.Detail}", inner: e);
        }

        await PushAsync(job, reference, result, say, cancellationToken);
    }

    private async Task PushAsync(BuildJob job, string reference, BuildResult result, Action<string> say, CancellationToken cancellationToken)
    {
        var image = ImageReference.Parse(reference);
        var login = job.PushCredential is { Secret.Length: > 0 } p ? new RegistryLogin(p.ServerAddress, p.Username, p.Secret) : null;
        say($"pushing {reference}");
        string digest;
        try
        {
            digest = await engine.PushImageAsync(image, login, cancellationToken);
        }
        catch (DockerOperationException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildFailure("push", $"push of {reference} to {image.Registry} failed: {e.Detail}{PushHint(e.Kind)}", inner: e);
        }

        result.Digest = digest;
        result.Image = $"{reference}@{digest}";
        say($"pushed {reference} as {digest}");
    }

    private static string PushHint(RegistryFailureKind kind) => kind switch
    {
        RegistryFailureKind.Unauthorized => "; verify the build registry's token has write permissions (`clusterctl cluster set-registry`)",
        RegistryFailureKind.Forbidden => "; the build registry's credential may not push to this namespace",
        RegistryFailureKind.Unreachable => "; the build server cannot reach the registry",
        _ => "",
    };

    private static void Fill(BuildResult result, string stage, string error, string step, IReadOnlyList<string> lastLines)
    {
        result.Ok = false;
        result.FailedStage = stage;
        result.Error = error;
        result.FailedStep = step;
        result.LastLines.Clear();
        result.LastLines.AddRange(lastLines);
    }

    private static string SafeName(string id) =>
        new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    private void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.CleanupFailed(log, dir, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Information, "build {JobId} of app {App} (deployment {DeploymentId}) started")]
        public static partial void Started(ILogger logger, string jobId, string app, string deploymentId);

        [LoggerMessage(2101, LogLevel.Information, "build {JobId} succeeded: {Image}")]
        public static partial void Succeeded(ILogger logger, string jobId, string image);

        [LoggerMessage(2102, LogLevel.Warning, "build {JobId} failed at {Stage}: {Error}")]
        public static partial void Failed(ILogger logger, string jobId, string stage, string error);

        [LoggerMessage(2103, LogLevel.Warning, "could not delete the job directory {Dir}: {Reason}")]
        public static partial void CleanupFailed(ILogger logger, string dir, string reason);
    }
}
