using Cluster.Core.Docker;
using Cluster.Leader.Apps;
using Cluster.Leader.Credentials;
using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Operations;
using Cluster.Leader.Sources;
using Cluster.Leader.Storage;
using Cluster.Protos.Build.V1;
using Google.Protobuf.WellKnownTypes;

namespace Cluster.Leader.Builds;

// The BUILD step of a deployment of a git app or of an uploaded folder: decide where the image goes (BuildTopology),
// hand the job to a free build server with the push credential (only when pushing), stream its
// log lines to the deployment as they arrive, and return the image to deploy. Nothing here
// touches a service: a failed, cancelled or timed-out build ends the deployment before the
// service is looked at. Cancelling `cancellationToken` cancels the job on the builder.
public sealed partial class BuildService(
    BuildTopology topology,
    BuilderRegistry builders,
    GitCredentialService gitCredentials,
    CredentialService credentials,
    ClusterSettings settings,
    BuildOptions options,
    TimeProvider time,
    ILogger<BuildService> log)
{
    public const string AppLabel = "cluster.app";

    public const string DeploymentLabel = "cluster.deployment";

    // `say` gets progress lines for the deployment log; `buildLog` gets the builder's own output.
    // `upload`: the folder to build for an app built from one (the builder fetches it from
    // the leader with FetchContext while the job runs); null for git apps.
    public async Task<BuiltImage> BuildAsync(AppRecord app, string deploymentId, SourceUpload? upload, Action<string> say, Action<string> buildLog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(say);
        ArgumentNullException.ThrowIfNull(buildLog);
        BuildTopology.Decision decision;
        IReadOnlyList<SwarmNode> swarm;
        try
        {
            (decision, swarm) = await topology.DecideAsync(cancellationToken);
        }
        catch (DockerOperationException e)
        {
            return Failed($"cannot read the swarm's nodes from the leader's engine: {e.Detail}");
        }

        if (decision.Refusal is { } refusal)
        {
            return Failed(refusal);
        }

        var timeout = app.BuildTimeoutSeconds > 0 ? TimeSpan.FromSeconds(app.BuildTimeoutSeconds) : options.DefaultTimeout;
        var deadline = time.GetUtcNow() + timeout;
        var job = new BuildJob
        {
            JobId = "b" + Guid.NewGuid().ToString("N")[..15],
            DeploymentId = deploymentId,
            App = app.Name,
            GitUrl = app.GitUrl,
            GitRef = app.GitRef,
            Dockerfile = app.Dockerfile,
            ContextDir = app.ContextDir,
            TargetStage = app.TargetStage,
            Deadline = Timestamp.FromDateTimeOffset(deadline),
            Push = !decision.Local,
        };
        job.BuildArgs.Add(app.BuildArgs);
        job.Labels.Add(AppLabel, app.Name);
        job.Labels.Add(DeploymentLabel, deploymentId);
        if (upload is not null)
        {
            job.GitUrl = "";
            job.GitRef = "";
            job.ContextDir = "";
            job.UploadedContext = new UploadedContext { Sha256 = upload.Sha256, SizeBytes = upload.Bytes, Name = upload.Name };
        }
        else
        {
            try
            {
                job.GitCredential = gitCredentials.For(app.GitUrl, app.GitCredential);
            }
            catch (OperationException e)
            {
                return Failed(e.Message);
            }
        }

        if (decision.Local)
        {
            // A tag unique to this build: a redeploy of the same commit still rolls the service
            // onto the image this deployment built, never onto an older local copy.
            job.Image = $"{AppSources.LocalRepository}/{app.Name}";
            job.TagSuffix = deploymentId;
            say($"single-node cluster with the build server on it: building registry-less, the image stays in {swarm[0].Hostname}'s engine");
        }
        else
        {
            job.Image = $"{settings.BuildNamespace}/{app.Name}";
            job.PushCredential = PushCredentialOf(settings.BuildRegistry!);
        }

        Func<BuilderConnection, bool> eligible = decision.Local ? b => b.SwarmNodeId == swarm[0].Id : _ => true;
        if (!builders.Live.Any(eligible))
        {
            return Failed(decision.Local
                ? $"no build server is connected on {swarm[0].Hostname}; start cluster-builder there (`clusterctl node list` shows builders)"
                : "no build server is connected; start cluster-builder on a node (`clusterctl node list` shows builders)");
        }

        var what = upload is null
            ? $"{app.GitUrl}{(app.GitRef.Length > 0 ? "@" + app.GitRef : "")}"
            : $"the uploaded folder '{upload.Name}' ({Core.Builds.ContextStream.Size(upload.Bytes)}, sha256 {upload.Sha256[..12]}…)";
        var built = await RunJobAsync(new PendingBuild(job, buildLog) { ContextFile = upload?.Path }, eligible, timeout, $"building {what}", say, cancellationToken);
        return built.Ok ? built with { Local = decision.Local, LocalNode = decision.Local ? swarm[0].Id : "" } : built;
    }

    // Migration out of registry-less mode: the build server on the node that holds the app's
    // local image pushes that very image to the build registry (same bytes, same tag, under the
    // build namespace) and reports the digest the registry stored; nothing is built. Refused
    // when the swarm is (again) a single node with its build server, or has no build registry.
    public async Task<BuiltImage> PushLocalAsync(AppRecord app, string deploymentId, Action<string> say, Action<string> buildLog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(say);
        BuildTopology.Decision decision;
        try
        {
            (decision, _) = await topology.DecideAsync(cancellationToken);
        }
        catch (DockerOperationException e)
        {
            return Failed($"cannot read the swarm's nodes from the leader's engine: {e.Detail}");
        }

        if (decision.Refusal is { } refusal)
        {
            return Failed(refusal);
        }

        if (decision.Local || !app.LocalImage)
        {
            return Failed($"app '{app.Name}' needs no migration: {(app.LocalImage ? "the swarm is a single node with its build server again" : "it does not run a registry-less image")}");
        }

        var local = $"{app.Image}:{app.Tag}";
        var job = new BuildJob
        {
            JobId = "b" + Guid.NewGuid().ToString("N")[..15],
            DeploymentId = deploymentId,
            App = app.Name,
            Deadline = Timestamp.FromDateTimeOffset(time.GetUtcNow() + options.DefaultTimeout),
            Image = $"{settings.BuildNamespace}/{app.Name}",
            Push = true,
            PushLocalImage = local,
            PushCredential = PushCredentialOf(settings.BuildRegistry!),
        };

        // The image is in the engine of the node the build ran on; any build server there can push it.
        var node = app.LocalImageNode;
        Func<BuilderConnection, bool> eligible = node.Length > 0 ? b => b.SwarmNodeId == node : _ => true;
        if (!builders.Live.Any(eligible))
        {
            return Failed($"no build server is connected on the node that holds {local} (swarm node {(node.Length > 0 ? node : "unknown")}); start cluster-builder there so the image can be pushed");
        }

        var built = await RunJobAsync(new PendingBuild(job, buildLog), eligible, options.DefaultTimeout, $"pushing the registry-less image {local} to {settings.BuildRegistry}", say, cancellationToken);
        return built.Ok && built.Digest.Length == 0 ? Failed($"the build server {built.Builder} pushed {local} but reported no digest; not deploying it") : built;
    }

    // A build registry without a secret (anonymous push) sends no credential.
    private PushCredential? PushCredentialOf(string registryName) =>
        credentials.LoginOf(registryName) is { } login
            ? new PushCredential
            {
                ServerAddress = login.ServerAddress,
                Username = login.Username,
                Secret = login.Secret,
                Insecure = credentials.Get(registryName).Insecure,
            }
            : null;

    // Hands the job to a free, eligible build server (waiting for one within the job's timeout),
    // streams its log, and turns its result into the image to deploy. Cancelling
    // `cancellationToken` cancels the job on the builder.
    private async Task<BuiltImage> RunJobAsync(PendingBuild pending, Func<BuilderConnection, bool> eligible, TimeSpan timeout, string what, Action<string> say, CancellationToken cancellationToken)
    {
        var job = pending.Job;
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The builder enforces the deadline itself; the leader's own bound (plus grace) covers a
        // builder that stops answering without its session breaking.
        watchdog.CancelAfter(timeout + options.CancelGrace);
        BuilderConnection? builder;
        var waiting = false;
        while ((builder = builders.TrySend(pending, eligible)) is null)
        {
            if (!waiting)
            {
                say("every build server is busy; waiting for a free one");
                waiting = true;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, watchdog.Token);
            }
            catch (OperationCanceledException)
            {
                return Failed(cancellationToken.IsCancellationRequested
                    ? "the deployment was cancelled while waiting for a build server"
                    : $"no build server became free within the build timeout ({timeout.TotalMinutes:0.#} min)");
            }

            if (!builders.Live.Any(eligible))
            {
                return Failed("the build servers disconnected while the build waited for one");
            }
        }

        say($"{what} on build server {builder.Hostname} (job {job.JobId}, timeout {timeout.TotalMinutes:0.#} min)");
        Log.Dispatched(log, job.JobId, job.App, job.DeploymentId, builder.Hostname);
        BuildResult result;
        try
        {
            result = await pending.Result.WaitAsync(watchdog.Token);
        }
        catch (OperationCanceledException)
        {
            var reason = cancellationToken.IsCancellationRequested ? "deployment cancelled" : "build timeout";
            builder.Send(new BuildOrder { Cancel = new CancelBuild { JobId = job.JobId, Reason = reason } });
            try
            {
                result = await pending.Result.WaitAsync(options.CancelGrace, time, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                builder.Jobs.TryRemove(job.JobId, out _);
                result = new BuildResult { JobId = job.JobId, FailedStage = cancellationToken.IsCancellationRequested ? "cancelled" : "timeout", Error = $"the build server {builder.Hostname} did not stop the build within {options.CancelGrace.TotalSeconds:0} s" };
            }

            if (result.Ok)
            {
                // Finished just as it was stopped: the deployment still stops here.
                result = new BuildResult { JobId = job.JobId, GitCommit = result.GitCommit, FailedStage = cancellationToken.IsCancellationRequested ? "cancelled" : "timeout", Error = $"the build was stopped ({reason})" };
            }
        }

        if (!result.Ok)
        {
            // The builder's own text: printable and bounded, like its log lines.
            foreach (var line in result.LastLines.Take(50))
            {
                say("  | " + Agents.AgentLimits.Printable(line));
            }

            return Failed($"build failed ({Agents.AgentLimits.Printable(result.FailedStage)}) on {builder.Hostname}: {Agents.AgentLimits.Printable(result.Error)}; no service was touched") with { Commit = result.GitCommit, Builder = builder.Hostname };
        }

        // The builder reports "<job.Image>:<tag>" or "<job.Image>:<tag>@<digest>".
        var tag = result.Image.StartsWith(job.Image + ":", StringComparison.Ordinal) ? result.Image[(job.Image.Length + 1)..].Split('@')[0] : "";
        if (tag.Length == 0)
        {
            return Failed($"the build server {builder.Hostname} reported an image ({result.Image}) outside {job.Image}; not deploying it");
        }

        return new BuiltImage
        {
            Ok = true,
            Commit = result.GitCommit,
            Repository = job.Image,
            Tag = tag,
            Digest = result.Digest,
            Builder = builder.Hostname,
        };
    }

    private static BuiltImage Failed(string error) => new() { Ok = false, Error = error };

    private static partial class Log
    {
        [LoggerMessage(820, LogLevel.Information, "build {JobId} of app {App} (deployment {DeploymentId}) sent to build server {Builder}")]
        public static partial void Dispatched(ILogger logger, string jobId, string app, string deploymentId, string builder);
    }
}
