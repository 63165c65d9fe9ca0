using System.Threading.Channels;
using Cluster.Core.Docker;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Engine;
using Cluster.NodeAgent.Hosting;
using Cluster.NodeAgent.Session;
using Cluster.Protos.Agent.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Credentials;

// The per-node proof: this node's OWN engine logs into the registry with each credential (the
// engine's /auth), so the check covers this node's DNS, routes and trust store, and the result
// goes to the leader as a CredentialCheck. Runs for new or changed credentials after each
// applied set, on the leader's CheckCredentialsOrder, and for all of them every
// CredentialRecheckInterval, so a password changed at the registry turns red by itself.
// Requests queue up and are coalesced; checks never hold up the session.
internal sealed partial class CredentialChecker(
    IDockerEngine engine,
    AssignmentStore store,
    LeaderOutbox outbox,
    AgentOptions options,
    TimeProvider time,
    ILogger<CredentialChecker> log) : BackgroundService
{
    private const int Parallelism = 4;

    private readonly Channel<IReadOnlyCollection<string>?> _requests =
        Channel.CreateUnbounded<IReadOnlyCollection<string>?>(new UnboundedChannelOptions { SingleReader = true });

    // Null or empty: every credential the node holds.
    public void Request(IReadOnlyCollection<string>? credentialIds) => _requests.Writer.TryWrite(credentialIds);

    public async Task<CredentialCheck> CheckAsync(NodeCredential credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credential);
        var check = new CredentialCheck { CredentialId = credential.Id, Revision = credential.Revision };
        using var timeout = new CancellationTokenSource(options.CallTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await engine.CheckLoginAsync(credential.ToLogin(), linked.Token);
            check.Ok = true;
            Log.CheckOk(log, credential.Name, credential.ServerAddress, credential.Revision);
        }
        catch (DockerOperationException e)
        {
            check.Ok = false;
            check.Failure = EngineFailures.ToProto(e.Kind);
            check.Message = EngineFailures.Describe(e.Kind, e.Detail);
            Log.CheckFailed(log, credential.Name, credential.ServerAddress, credential.Revision, check.Message);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            check.Ok = false;
            check.Failure = FailureKind.Unreachable;
            check.Message = $"registry unreachable: the engine's login to {credential.ServerAddress} did not finish within {options.CallTimeout.TotalSeconds:0}s";
            Log.CheckFailed(log, credential.Name, credential.ServerAddress, credential.Revision, check.Message);
        }

        check.CheckedAt = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        return check;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var periodic = RecheckPeriodicallyAsync(stoppingToken);
        try
        {
            while (await _requests.Reader.WaitToReadAsync(stoppingToken))
            {
                await CheckRequestedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await periodic;
    }

    private async Task CheckRequestedAsync(CancellationToken cancellationToken)
    {
        var all = false;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (_requests.Reader.TryRead(out var request))
        {
            if (request is null || request.Count == 0)
            {
                all = true;
            }
            else
            {
                ids.UnionWith(request);
            }
        }

        var snapshot = store.Current;
        var targets = all
            ? snapshot.Credentials.Values.ToList()
            : ids.Select(id => snapshot.Credentials.GetValueOrDefault(id)).OfType<NodeCredential>().ToList();
        await Parallel.ForEachAsync(
            targets,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (credential, ct) => outbox.Report(new AgentMessage { CredentialCheck = await CheckAsync(credential, ct) }));
    }

    private async Task RecheckPeriodicallyAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(options.CredentialRecheckInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Request(null);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1200, LogLevel.Information, "Credential '{Name}' works from this node: {ServerAddress} accepted the login (revision {Revision})")]
        public static partial void CheckOk(ILogger logger, string name, string serverAddress, ulong revision);

        [LoggerMessage(1201, LogLevel.Warning, "Credential '{Name}' fails from this node: {ServerAddress} (revision {Revision}): {Message}")]
        public static partial void CheckFailed(ILogger logger, string name, string serverAddress, ulong revision, string message);
    }
}
