using Cluster.Core.Images;

namespace Cluster.Leader.Credentials.Helpers;

// Advice given when a credential is added (issue #12): which providers hand out passwords that
// expire, so a static credential would break every pull hours later, and which do not need a
// helper. Informational: the credential is stored either way.
public static class ProviderAdvice
{
    private const string AadTokenUser = "00000000-0000-0000-0000-000000000000";

    public static string? For(RegistryProvider provider, string username, string? helper)
    {
        if (helper is not null)
        {
            return null;
        }

        return provider switch
        {
            RegistryProvider.Ecr =>
                "an ECR password is a token that expires 12 h after it was issued, and every pull fails after that; " +
                "add it with --helper ecr-login instead (docker-credential-ecr-login on the leader, AWS keys via --helper-env-stdin or the machine's instance role) and the leader refreshes it before it expires",
            RegistryProvider.Acr when username == AadTokenUser =>
                "this is an Azure AD token (az acr login --expose-token), which expires after about 3 h; " +
                "use a service principal (its app id as --username, its secret on stdin: static, no helper needed) or a credential helper with --helper so the leader refreshes it",
            RegistryProvider.Acr when Guid.TryParse(username, out _) =>
                "a service principal's secret is static (it lasts until it expires in Azure): no helper needed",
            RegistryProvider.Acr =>
                "an ACR admin user or repository-scoped token is static: no helper needed",
            _ => null,
        };
    }
}
