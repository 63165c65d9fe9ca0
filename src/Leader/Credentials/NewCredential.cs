namespace Cluster.Leader.Credentials;

// Input of `registry add`. Secret is held only for the duration of the request. Anonymous: the
// entry declares a registry (its scheme and trust: Insecure) without credentials; Username and
// Secret must then be empty, and pulls through it are anonymous.
public sealed record NewCredential(string Name, string Provider, string Url, string? Username, string Secret, bool NoVerify, bool Insecure, bool PushOnly = false, bool Anonymous = false)
{
    public override string ToString() => $"NewCredential {{ Name = {Name}, Provider = {Provider}, Url = {Url}, Username = {Username}, Anonymous = {Anonymous} }}";
}
