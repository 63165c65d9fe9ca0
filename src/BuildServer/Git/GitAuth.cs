namespace Cluster.BuildServer.Git;

// An HTTPS token for one fetch. ToString never shows the token.
internal sealed record GitAuth(string Username, string Token)
{
    public override string ToString() => $"GitAuth {{ Username = {Username}, Token = *** }}";
}
