namespace Cluster.Leader.Credentials;

// Input of `registry add`. Secret is held only for the duration of the request.
public sealed record NewCredential(string Name, string Provider, string Url, string? Username, string Secret, bool NoVerify, bool Insecure, bool PushOnly = false)
{
    public override string ToString() => $"NewCredential {{ Name = {Name}, Provider = {Provider}, Url = {Url}, Username = {Username} }}";
}
