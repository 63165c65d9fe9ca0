using Cluster.Core.Registry;
using Cluster.Protos.Agent.V1;

namespace Cluster.NodeAgent.Engine;

// How an engine failure is put on the wire and in words: the kind as the proto's FailureKind,
// the text led by the words the user acts on ("unauthorized: ...", "registry unreachable: ...")
// followed by the engine's own message, which never carries a secret.
internal static class EngineFailures
{
    public static FailureKind ToProto(RegistryFailureKind kind) => kind switch
    {
        RegistryFailureKind.Unauthorized => FailureKind.Unauthorized,
        RegistryFailureKind.Forbidden => FailureKind.Forbidden,
        RegistryFailureKind.NotFound => FailureKind.NotFound,
        RegistryFailureKind.Unreachable => FailureKind.Unreachable,
        RegistryFailureKind.Tls => FailureKind.Tls,
        RegistryFailureKind.RateLimited => FailureKind.RateLimited,
        RegistryFailureKind.NoSpace => FailureKind.NoSpace,
        RegistryFailureKind.Engine => FailureKind.Engine,
        _ => FailureKind.Other,
    };

    public static string Describe(RegistryFailureKind kind, string detail)
    {
        var lead = kind switch
        {
            RegistryFailureKind.Unauthorized => "unauthorized",
            RegistryFailureKind.Forbidden => "forbidden",
            RegistryFailureKind.NotFound => "not found",
            RegistryFailureKind.Unreachable => "registry unreachable",
            RegistryFailureKind.Tls => "TLS failure",
            RegistryFailureKind.RateLimited => "rate limited",
            RegistryFailureKind.NoSpace => "no space left on device",
            RegistryFailureKind.Engine => "Docker engine failed",
            _ => null,
        };
        detail = detail.Trim();
        if (lead is null)
        {
            return detail;
        }

        // DockerEngine already names the engine in its own failures.
        var saysItAlready = detail.StartsWith(lead, StringComparison.OrdinalIgnoreCase) ||
            (kind == RegistryFailureKind.Engine && detail.StartsWith("Docker engine", StringComparison.Ordinal));
        return saysItAlready ? detail : $"{lead}: {detail}";
    }
}
