using Cluster.Leader.Agents;
using Cluster.Core.Images;
using Cluster.Leader.Credentials;
using Cluster.Leader.Credentials.Helpers;
using Cluster.Leader.Operations;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Registries over CredentialService. Translation only; the rules live there.
public sealed class RegistriesApi(CredentialService credentials, HelperCredentials helpers, NodeService nodes, SessionRegistry sessions) : Registries.RegistriesBase
{
    public override async Task<Registry> AddRegistry(AddRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.Helper.Length > 0)
        {
            return await AddHelperRegistryAsync(request, context);
        }

        if (request.HelperEnv.Length > 0 || request.RefreshEverySeconds != 0)
        {
            throw new OperationException(OperationError.InvalidArgument, "--helper-env-stdin and --refresh-every need --helper: they configure a credential helper");
        }

        var added = await credentials.AddAsync(
            new NewCredential(request.Name, request.Provider, request.Url, request.Username, request.Password, request.NoVerify, request.Insecure, request.PushOnly, request.Anonymous),
            AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        var registry = ToProto(added);
        if (!request.Anonymous && RegistryProviders.TryParseCliName(added.Provider, out var provider) && ProviderAdvice.For(provider, added.Username, helper: null) is { } notice)
        {
            registry.Notice = notice;
        }

        return registry;
    }

    public override Task<ListRegistriesResponse> ListRegistries(ListRegistriesRequest request, ServerCallContext context)
    {
        var response = new ListRegistriesResponse();
        response.Registries.AddRange(credentials.List().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<Registry> GetRegistry(GetRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var credential = credentials.Get(request.Name);
        var registry = ToProto(credential);
        foreach (var (node, check) in nodes.ChecksOf(credential.Id))
        {
            registry.Nodes.Add(new NodeCheck
            {
                Node = node,
                Status = check.Ok ? "ok" : "failed",
                Error = check.Ok ? "" : $"node {node}: {check.Message}",
                CheckedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(check.CheckedAt, DateTimeKind.Utc)),
                Revision = (ulong)check.Revision,
            });
        }

        return Task.FromResult(registry);
    }

    public override async Task<Registry> UpdateRegistry(UpdateRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        if (request.HasHelperEnv || request.HasRefreshEverySeconds)
        {
            if (request.HasUsername || request.HasPassword)
            {
                throw new OperationException(OperationError.InvalidArgument, "give either the helper's settings (--helper-env-stdin, --refresh-every) or a static --username/--password-stdin, not both");
            }

            return ToProto(await helpers.UpdateAsync(
                request.Name,
                request.HasHelperEnv ? request.HelperEnv : null,
                request.HasRefreshEverySeconds ? TimeSpan.FromSeconds(request.RefreshEverySeconds) : null,
                AdminAuthInterceptor.ActorOf(context),
                context.CancellationToken));
        }

        var updated = await credentials.UpdateAsync(
            request.Name,
            request.HasUsername ? request.Username : null,
            request.HasPassword ? request.Password : null,
            request.NoVerify,
            AdminAuthInterceptor.ActorOf(context),
            context.CancellationToken);
        return ToProto(updated);
    }

    public override async Task<VerifyRegistryResponse> VerifyRegistry(VerifyRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        // A helper credential is verified with a token fresh from its helper (a new revision when
        // it changed); if the helper fails, the stored token is still checked and both reported.
        string? helperError = null;
        if (credentials.Get(request.Name).Helper is not null)
        {
            var (run, _) = await helpers.RefreshAsync(credentials.Get(request.Name).Id, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
            helperError = run.Error;
        }

        var (credential, check) = await credentials.VerifyAsync(request.Name, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        sessions.RequestChecks(credential.Id);
        var error = helperError is null
            ? (check.Ok ? "" : check.Message)
            : $"{helperError}; the stored token {(check.Ok ? "still works" : "fails too: " + check.Message)}";
        return new VerifyRegistryResponse { Registry = ToProto(credential), Ok = check.Ok && helperError is null, Error = error };
    }

    public override async Task<RemoveRegistryResponse> RemoveRegistry(RemoveRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var revision = await credentials.RemoveAsync(request.Name, request.Force, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return new RemoveRegistryResponse { Revision = (ulong)revision };
    }

    private static Registry ToProto(CredentialView c)
    {
        var registry = new Registry
        {
            Name = c.Name,
            Provider = c.Provider,
            Url = c.Url,
            Username = c.Username,
            Revision = (ulong)c.Revision,
            Insecure = c.Insecure,
            PushOnly = c.PushOnly,
            Verified = c.VerifiedAt is not null,
        };
        if (c.VerifiedAt is { } at)
        {
            registry.VerifiedAt = Timestamp.FromDateTime(at);
        }

        if (c.Helper is { } helper)
        {
            AddHelperState(registry, helper);
        }

        return registry;
    }

    private async Task<Registry> AddHelperRegistryAsync(AddRegistryRequest request, ServerCallContext context)
    {
        if (request.Password.Length > 0 || request.Username.Length > 0)
        {
            throw new OperationException(OperationError.InvalidArgument,
                $"--helper {request.Helper} supplies the username and secret itself: leave out --username and --password-stdin (the helper's own settings go in --helper-env-stdin)");
        }

        var added = await helpers.AddAsync(
            new NewHelperCredential(request.Name, request.Provider, request.Url, request.Helper, request.HelperEnv,
                TimeSpan.FromSeconds(request.RefreshEverySeconds), request.NoVerify, request.Insecure, request.PushOnly),
            AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return ToProto(added);
    }

    private static void AddHelperState(Registry registry, HelperState helper)
    {
        registry.Helper = helper.Helper;
        registry.HelperEnv = helper.HasEnvironment;
        registry.RefreshEverySeconds = (uint)helper.RefreshEverySeconds;
        registry.LastRefreshError = helper.LastRefreshError ?? "";
        if (helper.ExpiresAt is { } expires)
        {
            registry.ExpiresAt = Timestamp.FromDateTime(expires);
        }

        if (helper.NextRefreshAt is { } next)
        {
            registry.NextRefresh = Timestamp.FromDateTime(next);
        }

        if (helper.LastRefreshAt is { } last)
        {
            registry.LastRefreshAt = Timestamp.FromDateTime(last);
        }
    }
}
