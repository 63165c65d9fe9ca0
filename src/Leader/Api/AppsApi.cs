using Cluster.Leader.Apps;
using Cluster.Leader.AutoSync;
using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Apps over AppService.
public sealed class AppsApi(AppService apps, AutoSyncService sync) : Protos.Admin.V1.Apps.AppsBase
{
    public override async Task<App> CreateApp(CreateAppRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var created = await apps.CreateAsync(new AppSpec(
            request.Name,
            request.Image,
            request.Registry,
            (int)request.Replicas,
            [.. request.Constraints],
            request.Env.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            [.. request.Publish],
            request.AutoSync,
            request.GitUrl,
            request.GitRef,
            request.Dockerfile,
            TimeSpan.FromSeconds(request.SyncIntervalSeconds))
        {
            Adopt = request.Adopt,
            GitCredential = request.GitCredential,
            ContextDir = request.ContextDir,
            TargetStage = request.TargetStage,
            BuildArgs = request.BuildArgs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            BuildTimeoutSeconds = (int)Math.Min(request.BuildTimeoutSeconds, int.MaxValue),
            FromDir = request.FromDir,
        }, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return AutoSyncProto.Fill(ToProto(created), created, sync);
    }

    public override Task<ListAppsResponse> ListApps(ListAppsRequest request, ServerCallContext context)
    {
        var response = new ListAppsResponse();
        response.Apps.AddRange(apps.List().Select(a => AutoSyncProto.Fill(ToProto(a), a, sync)));
        return Task.FromResult(response);
    }

    public override Task<App> GetApp(GetAppRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var app = apps.Get(request.Name);
        return Task.FromResult(AutoSyncProto.Fill(ToProto(app), app, sync));
    }

    public override Task<App> UpdateApp(UpdateAppRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var updated = apps.Update(request.Name, request.HasTag ? request.Tag : null, request.HasAutoSync ? request.AutoSync : null, request.HasReplicas ? (int)request.Replicas : null, AdminAuthInterceptor.ActorOf(context),
            request.HasSyncIntervalSeconds ? TimeSpan.FromSeconds(request.SyncIntervalSeconds) : null);
        return Task.FromResult(AutoSyncProto.Fill(ToProto(updated), updated, sync));
    }

    public override async Task<RemoveAppResponse> RemoveApp(RemoveAppRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var outcome = await apps.RemoveAsync(request.Name, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return new RemoveAppResponse { Message = outcome };
    }

    public static App ToProto(AppRecord a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var app = new App
        {
            Name = a.Name,
            Source = a.Source,
            Image = a.Image,
            Tag = a.Tag,
            Digest = a.Digest,
            AutoSync = a.AutoSync,
            Replicas = (uint)a.Replicas,
            LastDeployment = a.LastDeployment,
            Registry = a.Registry,
            GitUrl = a.GitUrl,
            GitRef = a.GitRef,
            Dockerfile = a.Dockerfile,
            RunningTag = a.RunningTag,
            PinnedDigest = a.PinnedDigest,
            Adopting = a.AdoptServiceId.Length > 0 ? $"swarm service '{a.Name}' (id {a.AdoptServiceId[..Math.Min(12, a.AdoptServiceId.Length)]}); the first deployment replaces its spec" : "",
            GitCredential = a.GitCredential,
            ContextDir = a.ContextDir,
            TargetStage = a.TargetStage,
            BuildTimeoutSeconds = (uint)Math.Max(0, a.BuildTimeoutSeconds),
        };
        foreach (var (k, v) in a.BuildArgs)
        {
            app.BuildArgs[k] = v;
        }

        app.Constraints.AddRange(a.Constraints);
        app.Publish.AddRange(a.Publish);
        foreach (var (k, v) in a.Env)
        {
            app.Env[k] = v;
        }

        return app;
    }
}
