namespace Cluster.Testing.Http;

// One request that passed through a FaultProxy: what was asked, what the client got, and which
// fault (if any) produced it. Authorization is recorded only as present or not.
public sealed record ProxiedRequest(string Method, string PathAndQuery, bool HadAuthorization, int Status, string? Fault)
{
    public override string ToString() => $"{Method} {PathAndQuery} -> {Status}{(Fault is null ? "" : " (" + Fault + ")")}";
}
