using Cluster.Core.Credentials;
using Cluster.Core.Docker;
using Cluster.Core.Images;
using Cluster.Leader.Credentials;
using Cluster.Leader.Security;
using Cluster.Leader.Storage;
using Cluster.Leader.Operations;

namespace Cluster.Leader.ClusterConfig;

// The cluster as a whole: its size and mode (read from the swarm, the source of truth), where
// built images are pushed, and the join and admin tokens.
public sealed partial class ClusterService(
    DockerEngine engine,
    LeaderDatabase db,
    ClusterSettings settings,
    CredentialService credentials,
    TokenStore tokens,
    TimeProvider time,
    ILogger<ClusterService> log)
{
    public sealed record Info(int Nodes, int Workers, string? BuildRegistry, string? BuildNamespace, string Mode);

    public async Task<Info> GetAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<SwarmNode> nodes;
        try
        {
            nodes = await engine.ListSwarmNodesAsync(cancellationToken);
        }
        catch (DockerOperationException e)
        {
            throw new OperationException(OperationError.Unavailable, $"cannot read the swarm's nodes from the local engine: {e.Detail}");
        }

        var workers = nodes.Count(n => n.Role == "worker");
        var current = settings.Load();
        return new Info(nodes.Count, workers, current.BuildRegistry, current.BuildNamespace, nodes.Count <= 1 ? "single-node" : "multi-node");
    }

    // Makes `name` the credential build servers push with, into `buildNamespace` (HOST/PATH),
    // after proving it may push there.
    public async Task<Info> SetBuildRegistryAsync(string name, string buildNamespace, string actor, CancellationToken cancellationToken)
    {
        var credential = credentials.Get(name);
        var ns = (buildNamespace ?? "").Trim().TrimEnd('/');
        if (!ImageReference.TryParse(ns + "/probe", out var probe, out _) || !ns.Contains('/', StringComparison.Ordinal))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--namespace '{buildNamespace}' is not HOST/PATH (for example ghcr.io/acme or 10.0.0.5:5000/cluster)");
        }

        var ring = new CredentialKeyring<string>();
        ring.Add(credential.Url, credential.Name);
        if (ring.Lookup(probe).Count == 0)
        {
            throw new OperationException(OperationError.InvalidArgument, $"registry '{name}' serves {credential.Url}, which does not cover the namespace {ns}");
        }

        if (!RegistryProviders.TryParseCliName(credential.Provider, out var provider))
        {
            provider = RegistryProvider.Generic;
        }

        var check = await credentials.CheckAsync(name, provider, credential.Url, credential.Insecure, credentials.LoginOf(name), ns, cancellationToken);
        if (!check.Ok)
        {
            throw new OperationException(OperationError.FailedPrecondition, $"registry '{name}' cannot be the build registry: {check.Message}");
        }

        db.Write(d =>
        {
            ClusterSettings.Save(d, name, ns);
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "cluster.set-registry", Target = name, Details = $"namespace={ns}" });
            return true;
        });
        Log.BuildRegistrySet(log, name, ns);
        return await GetAsync(cancellationToken);
    }

    public string RotateJoinToken(string actor)
    {
        var token = tokens.RotateJoin();
        db.Write(d =>
        {
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "cluster.rotate-join-token", Target = "join.token" });
            return true;
        });
        Log.JoinTokenRotated(log);
        return token.Format();
    }

    // The admin token is replaced on disk (0600, atomically) and in memory before this returns,
    // so the old token is refused from the next call on. Only the caller sees the new one.
    public string RotateAdminToken(string actor)
    {
        var token = tokens.RotateAdmin();
        db.Write(d =>
        {
            d.Audit.Insert(new AuditRecord { At = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "cluster.rotate-admin-token", Target = "admin.token" });
            return true;
        });
        Log.AdminTokenRotated(log);
        return token.Format();
    }

    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Information, "build registry set to {Name}, namespace {Namespace}")]
        public static partial void BuildRegistrySet(ILogger logger, string name, string @namespace);

        [LoggerMessage(401, LogLevel.Information, "join token rotated; the old one no longer works")]
        public static partial void JoinTokenRotated(ILogger logger);

        [LoggerMessage(402, LogLevel.Information, "admin token rotated; the old one no longer works")]
        public static partial void AdminTokenRotated(ILogger logger);
    }
}
