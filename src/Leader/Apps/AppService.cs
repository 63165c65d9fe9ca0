using System.Globalization;
using System.Text.RegularExpressions;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Core.Text;
using Cluster.Leader.Credentials;
using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Storage;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Apps;

// Apps: validated on create (a bad image reference, unknown credential or malformed constraint
// is refused before anything is stored, and so is a same-named swarm service that is not the
// app's unless the operator adopts it); removing an app removes its own swarm service first and
// never one that is not the app's (ServiceOwnership).
public sealed partial class AppService
{
    private readonly LeaderDatabase _db;
    private readonly CredentialService _credentials;
    private readonly OwnedServices _services;
    private readonly DockerEngine _engine;
    private readonly TimeProvider _time;
    private readonly GitCredentialService _gitCredentials;
    private readonly ILogger<AppService> _log;

    public AppService(LeaderDatabase db, CredentialService credentials, DockerEngine engine, OwnedServices services, GitCredentialService gitCredentials, TimeProvider time, ILogger<AppService> log)
    {
        _log = log;
        _gitCredentials = gitCredentials;
        _db = db;
        _credentials = credentials;
        _engine = engine;
        _services = services;
        _time = time;
    }

    public IReadOnlyList<AppRecord> List() => _db.Read(d => d.Apps.FindAll().OrderBy(a => a.Name, StringComparer.Ordinal).ToList());

    public AppRecord Get(string name) =>
        _db.Read(d => d.Apps.FindOne(a => a.Name == name)) ?? throw new OperationException(OperationError.NotFound, $"no app named '{name}'; `clusterctl app list` shows the apps");

    public async Task<AppRecord> CreateAsync(AppSpec spec, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!NamePattern().IsMatch(spec.Name ?? ""))
        {
            throw new OperationException(OperationError.InvalidArgument, $"app name '{spec.Name}' is not valid: use 1 to 63 lowercase letters, digits or '-', starting with a letter or digit (it names the swarm service)");
        }

        var hasImage = !string.IsNullOrWhiteSpace(spec.Image);
        var hasGit = !string.IsNullOrWhiteSpace(spec.GitUrl);
        if ((hasImage ? 1 : 0) + (hasGit ? 1 : 0) + (spec.FromDir ? 1 : 0) != 1)
        {
            throw new OperationException(OperationError.InvalidArgument, "give exactly one source: --image REF (deploy from a registry), --git URL (build from Git) or --from-dir (build from a folder sent with each `clusterctl deploy NAME --from-dir PATH`)");
        }

        var record = new AppRecord
        {
            Id = Guid.NewGuid().ToString("N"),
            Name = spec.Name!,
            Source = hasImage ? AppSources.Image : hasGit ? AppSources.Git : AppSources.Dir,
            Replicas = spec.Replicas <= 0 ? 1 : spec.Replicas,
            Constraints = spec.Constraints.Select(ValidConstraint).ToList(),
            Env = spec.Env.ToDictionary(kv => ValidEnvKey(kv.Key), kv => kv.Value, StringComparer.Ordinal),
            Publish = spec.Publish.Select(ValidPublish).ToList(),
            AutoSync = spec.AutoSync,
            SyncIntervalSeconds = ValidSyncInterval(spec.SyncInterval),
            GitUrl = spec.GitUrl ?? "",
            GitRef = spec.GitRef ?? "",
            Dockerfile = spec.Dockerfile ?? "",
            CreatedAt = _time.GetUtcNow().UtcDateTime,
        };
        if (spec.Replicas > 100)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--replicas {spec.Replicas} is more than 100; raise it in steps with `clusterctl app set`");
        }

        if (hasImage)
        {
            if (!ImageReference.TryParse(spec.Image!.Trim(), out var image, out var error))
            {
                throw new OperationException(OperationError.InvalidArgument, error.Message);
            }

            if (image.Digest is not null)
            {
                if (spec.AutoSync)
                {
                    throw new OperationException(OperationError.InvalidArgument, $"--image {spec.Image} --auto-sync: a digest never changes, so there is nothing to follow; give a tag to auto-sync, or drop --auto-sync to run exactly this digest");
                }

                record.PinnedDigest = image.Digest;
                record.PinnedWithTag = image.Tag is not null;
            }

            record.Image = image.Name;
            record.Tag = image.Tag ?? "latest";
        }
        else if (hasGit && spec.AutoSync && AppSources.IsCommit((spec.GitRef ?? "").Trim()))
        {
            throw new OperationException(OperationError.InvalidArgument, GitCommitNotFollowed(spec.Name!, spec.GitRef!.Trim()));
        }
        else if (spec.FromDir)
        {
            DirSource.Validate(spec);
            record.Dockerfile = (spec.Dockerfile ?? "").Trim();
            record.TargetStage = (spec.TargetStage ?? "").Trim();
            record.BuildArgs = spec.BuildArgs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            record.BuildTimeoutSeconds = spec.BuildTimeoutSeconds;
            // As for git apps: a name nobody serves (AppSources.LocalRepository) until the first build replaces it.
            record.Image = $"{AppSources.LocalRepository}/{record.Name}";
            record.Tag = "source";
        }
        else
        {
            GitSource.Validate(spec);
            record.GitUrl = spec.GitUrl!.Trim();
            record.GitRef = (spec.GitRef ?? "").Trim();
            record.Dockerfile = (spec.Dockerfile ?? "").Trim();
            record.ContextDir = (spec.ContextDir ?? "").Trim().Trim('/');
            record.TargetStage = (spec.TargetStage ?? "").Trim();
            record.BuildArgs = spec.BuildArgs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            record.BuildTimeoutSeconds = spec.BuildTimeoutSeconds;
            // Until the first build: a name nobody serves (AppSources.LocalRepository) and a fixed
            // tag; the build step replaces both with the image it built.
            record.Image = $"{AppSources.LocalRepository}/{record.Name}";
            record.Tag = "source";
            if (!string.IsNullOrWhiteSpace(spec.GitCredential))
            {
                record.GitCredential = _gitCredentials.CheckServes(spec.GitCredential.Trim(), record.GitUrl).Name;
            }
        }

        if (!string.IsNullOrWhiteSpace(spec.Registry))
        {
            var credential = _credentials.Get(spec.Registry.Trim());
            if (credential.PushOnly)
            {
                throw new OperationException(OperationError.InvalidArgument, $"--registry {credential.Name}: that credential is push-only (for builds) and is never used to pull; name a pull credential, or none to use the best stored match");
            }

            record.Registry = credential.Name;
        }

        // A service of this exact name that is not ours is refused, or adopted when asked and
        // unlabeled; one labeled for another app is never taken.
        // When the engine cannot be asked, the app is still created unless it should adopt: the
        // deployment checks ownership again (PlaceStep) before it touches any service.
        Docker.DotNet.Models.SwarmService? existing;
        try
        {
            existing = await _engine.FindServiceAsync(record.Name, cancellationToken);
        }
        catch (DockerOperationException e) when (!spec.Adopt)
        {
            Log.OwnershipDeferred(_log, record.Name, e.Message);
            existing = null;
        }

        var adopting = "";
        if (existing is not null && !ServiceOwnership.IsOwnedBy(existing, record))
        {
            var labeled = existing.Spec?.Labels?.ContainsKey(ServiceOwnership.AppLabel) == true;
            if (!spec.Adopt || labeled)
            {
                throw new OperationException(OperationError.FailedPrecondition, labeled
                    ? $"app '{record.Name}' not created: swarm service '{record.Name}' ({ServiceOwnership.Describe(existing)}) exists and {ServiceOwnership.Whose(existing)}; it is never taken over. Choose another app name"
                    : $"app '{record.Name}' not created: swarm service '{record.Name}' ({ServiceOwnership.Describe(existing)}) already exists and was not created by this cluster. Choose another app name, or add --adopt to take it over: the first deployment replaces its spec");
            }

            record.AdoptServiceId = existing.ID;
            adopting = $"swarm service '{record.Name}' ({ServiceOwnership.Describe(existing)}); the first deployment replaces its spec";
        }

        return _db.Write(d =>
        {
            if (d.Apps.FindOne(a => a.Name == record.Name) is not null)
            {
                throw new OperationException(OperationError.AlreadyExists, $"app '{record.Name}' already exists; change it with `clusterctl app set {record.Name}`");
            }

            d.Apps.Insert(record);
            d.Audit.Insert(new AuditRecord { At = _time.GetUtcNow().UtcDateTime, Actor = actor, Action = "app.create", Target = record.Name, Details = record.Source == AppSources.Git ? $"git={record.GitUrl} ref={record.GitRef} credential={record.GitCredential}" : record.Source == AppSources.Dir ? $"from-dir dockerfile={record.Dockerfile}" : $"image={record.Image}:{record.Tag} registry={record.Registry}{(adopting.Length > 0 ? $" adopts {adopting}" : "")}" });
            return record;
        });
    }

    public AppRecord Update(string name, string? tag, bool? autoSync, int? replicas, string actor, TimeSpan? syncInterval = null)
    {
        var interval = syncInterval is null ? (int?)null : ValidSyncInterval(syncInterval);
        if (tag is not null && !ImageReference.IsValidTag(tag))
        {
            throw new OperationException(OperationError.InvalidArgument, InvalidTag(tag));
        }

        if (replicas is < 1 or > 100)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--replicas {replicas} must be between 1 and 100");
        }

        return _db.Write(d =>
        {
            var app = d.Apps.FindOne(a => a.Name == name) ?? throw new OperationException(OperationError.NotFound, $"no app named '{name}'");
            if (app.Source == AppSources.Dir && (autoSync == true || tag is not null))
            {
                throw new OperationException(OperationError.InvalidArgument, autoSync == true
                    ? $"--auto-sync watches a registry tag; app '{name}' is built from a folder and changes only when you deploy it (`clusterctl deploy {name} --from-dir PATH`)"
                    : $"--tag does not apply to app '{name}': its images are tagged by the build (the folder's sha256)");
            }

            if (tag is not null)
            {
                // A new tag replaces a digest pin: the app follows that tag from now on.
                app.Tag = tag;
                app.PinnedDigest = "";
                app.PinnedWithTag = false;
            }

            if (autoSync == true && app.Source == AppSources.Git && AppSources.IsCommit(app.GitRef))
            {
                throw new OperationException(OperationError.InvalidArgument, GitCommitNotFollowed(name, app.GitRef));
            }

            if (autoSync == true && app.PinnedDigest.Length > 0)
            {
                throw new OperationException(OperationError.InvalidArgument, $"app '{name}' is pinned to {app.PinnedDigest}, which never changes; give it a tag to follow (`clusterctl app set {name} --tag TAG --auto-sync on`)");
            }

            app.AutoSync = autoSync ?? app.AutoSync;
            app.Replicas = replicas ?? app.Replicas;
            app.SyncIntervalSeconds = interval ?? app.SyncIntervalSeconds;
            d.Apps.Update(app);
            d.Audit.Insert(new AuditRecord { At = _time.GetUtcNow().UtcDateTime, Actor = actor, Action = "app.set", Target = name, Details = $"tag={app.Tag} autoSync={app.AutoSync} replicas={app.Replicas} syncInterval={app.SyncIntervalSeconds}s" });
            return app;
        });
    }

    // Auto-Sync follows a Git app's branch; a commit SHA never moves. (A tag is only known to be
    // one by the Git server: the first check says so in `app show`.)
    // The one refusal of a tag, wherever one is given (app set --tag, deploy --tag): the value as
    // typed (Quoted: a newline in it shows as \n) and what a tag may be.
    public static string InvalidTag(string tag) =>
        $"--tag {Quoted.Value(tag)} is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', e.g. 1.4.2 or v2-rc1";

    private static string GitCommitNotFollowed(string name, string commit) =>
        $"app '{name}' builds commit {commit}, which never moves, so Auto-Sync has nothing to follow; create the app with --ref BRANCH to follow a branch, or deploy new commits by hand";

    // A deployment succeeded: the app now runs this tag and digest, pinned exactly so; the tag
    // becomes the app's current tag (a custom tag too), and an adopted service is now labeled
    // as the app's.
    public void RecordDeployed(string appId, string tag, string digest, string pinnedImage, string deploymentId)
    {
        _db.Write(d =>
        {
            if (d.Apps.FindById(appId) is { } current)
            {
                current.Tag = tag;
                current.RunningTag = tag;
                current.Digest = digest;
                current.PinnedImage = pinnedImage;
                current.LastDeployment = deploymentId;
                current.AdoptServiceId = "";
                d.Apps.Update(current);
            }

            return true;
        });
    }

    // Builds: a built app now runs this image (repository and tag the build produced); `local`
    // when it stayed in the single node's engine (`localNode`, a swarm node id), which keeps the
    // app from moving elsewhere.
    public void RecordBuilt(string appId, string repository, string tag, bool local, string localNode = "") =>
        _db.Write(d =>
        {
            if (d.Apps.FindById(appId) is { } current)
            {
                current.Image = repository;
                current.Tag = tag;
                current.LocalImage = local;
                current.LocalImageNode = local ? localNode : "";
                d.Apps.Update(current);
            }

            return true;
        });

    // Removes the app's own swarm service first, then the record: a failure leaves the app in
    // place to retry. A same-named service that is not the app's is left running, and said so.
    public async Task<string> RemoveAsync(string name, string actor, CancellationToken cancellationToken)
    {
        var app = Get(name);
        string outcome;
        try
        {
            var (service, refusal) = await _services.FindAsync(app, cancellationToken);
            if (service is not null)
            {
                await _engine.RemoveServiceAsync(service, cancellationToken);
                outcome = $"removed app '{name}' and its swarm service";
            }
            else
            {
                outcome = refusal is null
                    ? $"removed app '{name}' (it had no swarm service)"
                    : $"removed app '{name}'; {refusal}";
            }
        }
        catch (DockerOperationException e)
        {
            throw new OperationException(OperationError.Unavailable, $"cannot remove the swarm service of app '{name}': {e.Detail}; the app is kept");
        }

        _db.Write(d =>
        {
            d.Apps.Delete(app.Id);
            d.Audit.Insert(new AuditRecord { At = _time.GetUtcNow().UtcDateTime, Actor = actor, Action = "app.remove", Target = name, Details = outcome });
            return true;
        });
        return outcome;
    }

    private static string ValidConstraint(string constraint)
    {
        var c = constraint.Trim();
        if (!ConstraintPattern().IsMatch(c))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--constraint '{constraint}' is not KEY==VALUE or KEY!=VALUE (e.g. node.role==worker, node.hostname!=db-1, node.labels.zone==a)");
        }

        return c;
    }

    // 0 (null or zero) = the cluster's interval; else whole seconds, at least Auto-Sync's minimum.
    private static int ValidSyncInterval(TimeSpan? interval)
    {
        if (interval is null || interval == TimeSpan.Zero)
        {
            return 0;
        }

        if (interval < AppSpec.MinimumSyncInterval || interval > TimeSpan.FromDays(1))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--sync-interval {interval.Value.TotalSeconds:0}s is out of range: give between {AppSpec.MinimumSyncInterval.TotalSeconds:0}s and 24h (checks more often than every 5 s are not polite to shared registries)");
        }

        return (int)Math.Ceiling(interval.Value.TotalSeconds);
    }

    private static string ValidEnvKey(string key) =>
        EnvKeyPattern().IsMatch(key) ? key : throw new OperationException(OperationError.InvalidArgument, $"--env '{key}=...': the name must be letters, digits and '_', not starting with a digit");

    private static string ValidPublish(string publish)
    {
        var parts = publish.Trim().Split('/', 2);
        var ports = parts[0].Split(':');
        var ok = ports.Length == 2 &&
            uint.TryParse(ports[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pub) && pub is > 0 and < 65536 &&
            uint.TryParse(ports[1], NumberStyles.None, CultureInfo.InvariantCulture, out var target) && target is > 0 and < 65536 &&
            (parts.Length == 1 || parts[1] is "tcp" or "udp");
        return ok ? publish.Trim() : throw new OperationException(OperationError.InvalidArgument, $"--publish '{publish}' is not PUBLISHED:TARGET[/tcp|udp] (e.g. 80:8080)");
    }

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\A[A-Za-z0-9_.\-]+\s*(==|!=)\s*\S+\z")]
    private static partial Regex ConstraintPattern();

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex EnvKeyPattern();

    private static partial class Log
    {
        [LoggerMessage(720, LogLevel.Warning, "app {App} created without checking the swarm for a same-named service (engine: {Reason}); its first deployment checks ownership before touching any service")]
        public static partial void OwnershipDeferred(ILogger logger, string app, string reason);
    }
}
