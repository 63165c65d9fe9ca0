using Cluster.Testing;
namespace Cluster.Install.Tests.Fixture;

// The lab (tests/lab/lab.sh): brought up if it is not, taken down again only if we brought it
// up (test.sh brings it up once for every test project). Reads its env file.
public sealed class LabEnv
{
    private readonly Dictionary<string, string> _values;

    private LabEnv(Dictionary<string, string> values, bool startedHere)
    {
        _values = values;
        StartedHere = startedHere;
    }

    public static string EnvFile => Path.Combine(Environment.GetEnvironmentVariable("CLUSTER_LAB_DIR") is { Length: > 0 } dir ? dir : "/tmp/clab", "lab.env");

    public bool StartedHere { get; }

    public string this[string key] => _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"{key} missing from {EnvFile}");

    public int Nodes => int.Parse(this["LAB_NODES"], System.Globalization.CultureInfo.InvariantCulture);

    public string HostIp => this["LAB_HOST_IP"];

    public string NodeSocketPath(int node) => new Uri(this[$"LAB_NODE{node}_SOCK"]).AbsolutePath;

    public string NodeNetns(int node) => this[$"LAB_NODE{node}_NETNS"];

    public string NodeHostname(int node) => this[$"LAB_NODE{node}_HOSTNAME"];

    public static async Task<LabEnv> UpAsync()
    {
        var startedHere = false;
        var status = await ProcessRunner.RunAsync("bash", [Repo.LabScript, "status"], TimeSpan.FromMinutes(1));
        if (status.ExitCode != 0 || !File.Exists(EnvFile))
        {
            var up = await ProcessRunner.RunAsync("bash", [Repo.LabScript, "up"], TimeSpan.FromMinutes(6));
            if (up.ExitCode != 0)
            {
                throw new InvalidOperationException($"the test lab did not come up (tests/lab/lab.sh up):\n{up}");
            }

            startedHere = true;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(EnvFile))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && !line.StartsWith('#'))
            {
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
        }

        return new LabEnv(values, startedHere);
    }

    public async Task DownIfStartedHereAsync()
    {
        if (StartedHere)
        {
            await ProcessRunner.RunAsync("bash", [Repo.LabScript, "down"], TimeSpan.FromMinutes(3));
        }
    }
}
