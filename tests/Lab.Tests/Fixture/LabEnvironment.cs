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

    // host:port the engines trust as a registry where nothing listens: a test puts a FaultProxy
    // there, in front of Registry, to show a deployment a registry fault.
    public string FaultRegistry => this["LAB_FAULT_REGISTRY"];

    // host:port of the token-auth (Bearer) registry; its token server is TokenServer, run by the tests.
    public string TokenRegistry => this["LAB_TOKEN_REGISTRY"];

    // Where the token registry sends clients for tokens (TokenServer listens there).
    public Uri TokenRealm => new(this["LAB_TOKEN_REALM"]);

    // The token's aud, and the registry's `service`.
    public string TokenService => this["LAB_TOKEN_SERVICE"];

    // The token's iss, and the registry's `issuer`.
    public string TokenIssuer => this["LAB_TOKEN_ISSUER"];

    // PEM files: the RSA key that signs tokens (0600) and its self-signed certificate, which is the
    // registry's rootcertbundle. Both are made anew at each lab up.
    public string TokenKey => this["LAB_TOKEN_KEY"];

    public string TokenCert => this["LAB_TOKEN_CERT"];
}
