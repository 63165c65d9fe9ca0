using Cluster.Leader.Credentials.Git;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Api;

// cluster.admin.v1.GitCredentials over GitCredentialService (admin token required, as for every
// cluster.admin.v1 service). Answers never carry a token or private key; SSH credentials show
// their key's fingerprint and their pinned host keys' fingerprints.
public sealed class GitCredentialsApi(GitCredentialService git) : GitCredentials.GitCredentialsBase
{
    public override async Task<GitCredentialInfo> AddGitCredential(AddGitCredentialRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return ToProto(await git.AddAsync(request.Name, request.UrlPrefix, request.Username, request.Token, request.SshPrivateKey, request.KnownHosts, AdminAuthInterceptor.ActorOf(context), context.CancellationToken));
    }

    public override async Task<GitCredentialInfo> UpdateGitCredential(UpdateGitCredentialRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return ToProto(await git.UpdateAsync(request.Name, request.Token, request.SshPrivateKey, request.KnownHosts, request.RescanHostKeys, AdminAuthInterceptor.ActorOf(context), context.CancellationToken));
    }

    public override Task<ListGitCredentialsResponse> ListGitCredentials(ListGitCredentialsRequest request, ServerCallContext context)
    {
        var response = new ListGitCredentialsResponse();
        response.Credentials.AddRange(git.List().Select(ToProto));
        return Task.FromResult(response);
    }

    public override Task<RemoveGitCredentialResponse> RemoveGitCredential(RemoveGitCredentialRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        git.Remove(request.Name, AdminAuthInterceptor.ActorOf(context));
        return Task.FromResult(new RemoveGitCredentialResponse());
    }

    private static GitCredentialInfo ToProto(GitCredentialService.View v)
    {
        var info = new GitCredentialInfo
        {
            Name = v.Name,
            UrlPrefix = v.UrlPrefix,
            Username = v.Username,
            CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(v.CreatedAt, DateTimeKind.Utc)),
            Kind = v.Kind,
            HostKeysSource = v.HostKeysSource,
            KeyFingerprint = v.KeyFingerprint,
            KeyType = v.KeyType,
        };
        info.HostKeys.AddRange(v.HostKeys.Select(k => new SshHostKey { Host = k.Hosts, Type = k.KeyType, Fingerprint = k.Fingerprint, Marker = k.Marker }));
        return info;
    }
}
