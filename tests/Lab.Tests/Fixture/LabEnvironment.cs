using System.Globalization;

namespace Cluster.Lab.Tests.Fixture;

// The lab's env file (tests/lab/lab.sh writes it last, once everything is ready).
public sealed class LabEnvironment
{
    private readonly Dictionary<string, string> _values;

    private LabEnvironment(Dictionary<string, string> values) => _values = values;

    public static string EnvFile => Path.Combine(Environment.GetEnvironmentVariable("CLUSTER_LAB_DIR") is { Length: > 0 } dir ? dir : "/tmp/clab", "lab.env");

    public static LabEnvironment Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(EnvFile))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
            }
        }

        return new LabEnvironment(values);
    }

    public string this[string key] => _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"{key} missing from {EnvFile}");

    public int Nodes => int.Parse(this["LAB_NODES"], CultureInfo.InvariantCulture);

    public Uri ManagerSocket => new(this["LAB_MANAGER_SOCK"]);

    public Uri NodeSocket(int node) => new(this[$"LAB_NODE{node}_SOCK"]);

    public string NodeHostname(int node) => this[$"LAB_NODE{node}_HOSTNAME"];

    public string HostIp => this["LAB_HOST_IP"];

    // host:port of the htpasswd (Basic) registry.
    public string Registry => this["LAB_REGISTRY"];

    public string RegistryUser => this["LAB_REGISTRY_USER"];

    public string RegistryPassword => this["LAB_REGISTRY_PASSWORD"];

    public string RegistryHtpasswd => this["LAB_REGISTRY_HTPASSWD"];
}
