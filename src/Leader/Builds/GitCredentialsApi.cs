using Cluster.Leader.Api;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Cluster.Leader.Builds;

// cluster.admin.v1.GitCredentials over GitCredentialService (admin token required, as for every
// cluster.admin.v1 service). Answers never carry a token.
public sealed class GitCredentialsApi(GitCredentialService git) : GitCredentials.GitCredentialsBase
{
    public override Task<GitCredentialInfo> AddGitCredential(AddGitCredentialRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(ToProto(git.Add(request.Name, request.UrlPrefix, request.Username, request.Token, AdminAuthInterceptor.ActorOf(context))));
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

    private static GitCredentialInfo ToProto(GitCredentialService.View v) => new()
    {
        Name = v.Name,
        UrlPrefix = v.UrlPrefix,
        Username = v.Username,
        CreatedAt = Timestamp.FromDateTime(DateTime.SpecifyKind(v.CreatedAt, DateTimeKind.Utc)),
    };
}
