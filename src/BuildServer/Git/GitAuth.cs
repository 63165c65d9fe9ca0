namespace Cluster.BuildServer.Git;

// The credential for one fetch: an HTTPS token (Username, Token), or an SSH private key with the
// known_hosts lines that pin the server (Username = login user for URLs that name none). Name is
// the leader's name for it, for messages. ToString never shows the token or the key.
internal sealed record GitAuth(string Username, string Token)
{
    public string Name { get; init; } = "";

    public string SshPrivateKey { get; init; } = "";

    public string KnownHosts { get; init; } = "";

    public bool IsSsh => SshPrivateKey.Length > 0;

    // "Git credential NAME" or "the Git credential", for messages.
    public string Label => Name.Length > 0 ? $"Git credential '{Name}'" : "the Git credential";

    public override string ToString() =>
        $"GitAuth {{ Name = {Name}, Username = {Username}, Token = {(Token.Length > 0 ? "***" : "")}, SshPrivateKey = {(IsSsh ? "***" : "")} }}";
}
