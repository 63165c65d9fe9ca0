namespace Cluster.Leader.Credentials.Helpers;

// Input of `registry add --helper`. Environment is the helper's KEY=VALUE lines (a secret), held
// only for the duration of the request.
public sealed record NewHelperCredential(string Name, string Provider, string Url, string Helper, string? Environment, TimeSpan RefreshEvery, bool NoVerify, bool Insecure, bool PushOnly)
{
    public override string ToString() => $"NewHelperCredential {{ Name = {Name}, Provider = {Provider}, Url = {Url}, Helper = {Helper} }}";
}
