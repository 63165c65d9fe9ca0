using Cluster.Leader.Agents;
using Cluster.Leader.Credentials;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.Registries over CredentialService. Translation only; the rules live there.
public sealed class RegistriesApi(CredentialService credentials, NodeService nodes, SessionRegistry sessions) : Registries.RegistriesBase
{
    public override async Task<Registry> AddRegistry(AddRegistryRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var added = await credentials.AddAsync(
            new NewCredential(request.Name, request.Provider, request.Url, request.Username, request.Password, request.NoVerify, request.Insecure, request.PushOnly, request.Anonymous),
            AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        return ToProto(added);
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
        var (credential, check) = await credentials.VerifyAsync(request.Name, AdminAuthInterceptor.ActorOf(context), context.CancellationToken);
        sessions.RequestChecks(credential.Id);
        return new VerifyRegistryResponse { Registry = ToProto(credential), Ok = check.Ok, Error = check.Ok ? "" : check.Message };
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

        return registry;
    }
}
