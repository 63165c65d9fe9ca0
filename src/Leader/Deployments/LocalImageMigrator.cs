using System.Collections.Concurrent;
using Cluster.Core.Docker;
using Cluster.Leader.Agents;
using Cluster.Leader.Builds;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Deployments;

// Moves built apps off registry-less images when the swarm grows past one node (issue #10
// item 5). The leader learns of a joining node from the swarm's node list (its engine is a
// manager) and of the node's agent from its session; every CheckInterval it asks
// MigrationPlanner what to do, and starts each migration as a normal deployment (trigger
// `migration`, visible in `deployment list`) whose build step pushes the local image through
// the build server that holds it, with the push credential (which goes to that build server
// only, as for any build), and whose later steps pre-pull on every eligible node, update the
// service pinned by digest and confirm. A failed migration is tried again after a backoff
// (RetryBackoff doubling up to MaxRetryBackoff). Nothing here runs while no app is local: the
// check is one database read.
public sealed partial class LocalImageMigrator(
    LeaderDatabase db,
    DockerEngine engine,
    BuilderRegistry builders,
    SessionRegistry sessions,
    ClusterSettings settings,
    DeploymentOrchestrator deployments,
    BuildOptions options,
    TimeProvider time,
    ILogger<LocalImageMigrator> log) : BackgroundService
{
    public static readonly TimeSpan RetryBackoff = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxRetryBackoff = TimeSpan.FromMinutes(10);

    public const string Actor = "migration";

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, TimeSpan Backoff)> _retry = new(StringComparer.Ordinal);
    private string _leaderNode = "";

    // The plans as of now, for `cluster show` and `node list`; empty when no app runs a local image.
    public async Task<IReadOnlyList<MigrationPlanner.Plan>> DescribeAsync(CancellationToken cancellationToken)
    {
        var local = db.Read(d => d.Apps.Find(a => a.LocalImage).ToList());
        if (local.Count == 0)
        {
            return [];
        }

        var view = await ViewAsync(await engine.ListSwarmNodesAsync(cancellationToken), cancellationToken);
        return MigrationPlanner.Decide(local, view);
    }

    // The same, against the swarm's node list the caller already read (`node list` reads it
    // once for its own view and for this).
    public async Task<IReadOnlyList<MigrationPlanner.Plan>> DescribeAsync(IReadOnlyList<SwarmNode> swarm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(swarm);
        var local = db.Read(d => d.Apps.Find(a => a.LocalImage).ToList());
        return local.Count == 0 ? [] : MigrationPlanner.Decide(local, await ViewAsync(swarm, cancellationToken));
    }

    // Which swarm node holds an app's local image (for `node list`).
    public string HolderOf(AppRecord app) => MigrationPlanner.HolderOf(app, new MigrationPlanner.View([], [], [], null, [], new Dictionary<string, DateTimeOffset>(), time.GetUtcNow(), _leaderNode));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.MigrationCheckInterval, time, stoppingToken);
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (DockerOperationException e)
            {
                Log.CheckFailed(log, e.Message);
            }
        }
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        foreach (var plan in await DescribeAsync(cancellationToken))
        {
            if (plan.Action != MigrationPlanner.Action.Migrate)
            {
                continue;
            }

            StartedDeployment started;
            try
            {
                started = deployments.Start(new DeploymentRequest(plan.App.Name, null, Actor) { Trigger = DeploymentTrigger.Migration, Migration = true });
            }
            catch (OperationException e)
            {
                // Another deployment of the app won the race, or the app changed meanwhile.
                Log.NotStarted(log, plan.App.Name, e.Message);
                continue;
            }

            Log.Started(log, plan.App.Name, started.Id);
            _ = WatchAsync(plan.App, started);
        }
    }

    private async Task WatchAsync(AppRecord app, StartedDeployment started)
    {
        var record = await started.Done;
        if (record.Status == DeploymentStatus.Succeeded)
        {
            _retry.TryRemove(app.Id, out _);
            Log.Migrated(log, app.Name, record.Id, record.Digest);
            return;
        }

        var backoff = _retry.TryGetValue(app.Id, out var last) ? TimeSpan.FromTicks(Math.Min(last.Backoff.Ticks * 2, MaxRetryBackoff.Ticks)) : RetryBackoff;
        _retry[app.Id] = (time.GetUtcNow() + backoff, backoff);
        Log.Failed(log, app.Name, record.Id, record.Error, backoff.TotalSeconds);
    }

    private async Task<MigrationPlanner.View> ViewAsync(IReadOnlyList<SwarmNode> swarm, CancellationToken cancellationToken)
    {
        if (_leaderNode.Length == 0)
        {
            _leaderNode = (await engine.GetInfoAsync(cancellationToken)).SwarmNodeId ?? "";
        }

        return new MigrationPlanner.View(
            swarm,
            builders.Live.Select(b => b.SwarmNodeId).Where(id => id.Length > 0).ToHashSet(StringComparer.Ordinal),
            sessions.Live.Where(s => !s.Token.IsCancellationRequested && sessions.IsReady(s.NodeId)).Select(s => s.SwarmNodeId).Where(id => id.Length > 0).ToHashSet(StringComparer.Ordinal),
            settings.BuildRegistry,
            deployments.RunningAppIds.ToHashSet(StringComparer.Ordinal),
            _retry.ToDictionary(kv => kv.Key, kv => kv.Value.At, StringComparer.Ordinal),
            time.GetUtcNow(),
            _leaderNode);
    }

    private static partial class Log
    {
        [LoggerMessage(830, LogLevel.Information, "app {App} runs a registry-less image and the swarm has another node now: migration deployment {Id} started")]
        public static partial void Started(ILogger logger, string app, string id);

        [LoggerMessage(831, LogLevel.Information, "app {App} migrated off its registry-less image by deployment {Id}: the service runs {Digest}")]
        public static partial void Migrated(ILogger logger, string app, string id, string digest);

        [LoggerMessage(832, LogLevel.Warning, "migration of app {App} failed (deployment {Id}): {Error}; trying again in {Seconds} s")]
        public static partial void Failed(ILogger logger, string app, string id, string error, double seconds);

        [LoggerMessage(833, LogLevel.Debug, "migration of app {App} not started: {Reason}")]
        public static partial void NotStarted(ILogger logger, string app, string reason);

        [LoggerMessage(834, LogLevel.Warning, "checking for apps to migrate off registry-less images failed: {Message}")]
        public static partial void CheckFailed(ILogger logger, string message);
    }
}
