using System.Reflection;

namespace Cluster.NodeAgent.Hosting;

internal static class AgentVersion
{
    // The informational version without the source revision suffix ("1.0.0+abc" -> "1.0.0").
    public static string Current { get; } =
        (typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
