using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.NodeAgent.Assignments;
using Cluster.NodeAgent.Hosting;
using Cluster.Core.Files;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.NodeAgent.Credentials;

// --write-docker-config: mirrors the pull credentials into the node's docker CLI config
// ("auths", file mode 0600) for the operator's own `docker pull`. Swarm never reads that file
// (the daemon uses the auth in the service spec), so the product works without it; that is why
// it is off by default and credentials otherwise stay in memory.
//
// The agent touches only the "auths" entries it wrote itself. Which ones those are is kept in
// the state dir (docker-config.owned: registry addresses, no secrets), so a credential removed
// while the agent was down is still removed from the file, and turning the flag off removes
// them all at the next start.
internal sealed partial class DockerConfigWriter(AgentOptions options, ILogger<DockerConfigWriter> log) : IHostedService
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lock _lock = new();
    private bool _warnedCredsStore;

    public string OwnedFile => Path.Combine(options.StateDir, "docker-config.owned");

    public void Apply(AssignmentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!options.WriteDockerConfig)
        {
            return;
        }

        // One entry per server address: when several credentials log into the same address,
        // the one with the least specific match serves the whole registry, as docker login would.
        var desired = snapshot.Credentials.Values
            .GroupBy(c => c.ServerAddress, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Match.Length).ThenBy(c => c.Id, StringComparer.Ordinal).First(), StringComparer.Ordinal);
        lock (_lock)
        {
            Rewrite(desired);
        }
    }

    // At start with the flag off: take back what an earlier run with the flag on wrote.
    public void RemoveOwnedEntries()
    {
        if (options.WriteDockerConfig || !File.Exists(OwnedFile))
        {
            return;
        }

        lock (_lock)
        {
            Rewrite(new Dictionary<string, NodeCredential>(StringComparer.Ordinal));
            PrivateFile.Delete(OwnedFile);
        }
    }

    private void Rewrite(Dictionary<string, NodeCredential> desired)
    {
        var path = options.DockerConfigFile;
        try
        {
            JsonObject config;
            if (File.Exists(path))
            {
                var text = File.ReadAllText(path);
                config = text.Trim().Length == 0 ? [] : JsonNode.Parse(text) as JsonObject
                    ?? throw new JsonException("the top level is not an object");
            }
            else
            {
                config = [];
            }

            if (config["credsStore"] is not null && !_warnedCredsStore)
            {
                _warnedCredsStore = true;
                Log.CredsStoreSet(log, path);
            }

            var auths = config["auths"] as JsonObject ?? [];
            config["auths"] = auths;
            foreach (var stale in ReadOwned().Where(a => !desired.ContainsKey(a)))
            {
                auths.Remove(stale);
            }

            foreach (var (address, credential) in desired)
            {
                auths[address] = new JsonObject
                {
                    ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Secret}")),
                };
            }

            PrivateFile.WriteText(path, config.ToJsonString(Indented) + "\n");
            if (desired.Count > 0 || File.Exists(OwnedFile))
            {
                PrivateFile.WriteText(OwnedFile, string.Join('\n', desired.Keys.Order(StringComparer.Ordinal)) + "\n");
            }

            Log.Written(log, path, desired.Count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // The operator's own file stays as it was rather than be clobbered.
            Log.WriteFailed(log, path, e.Message);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        RemoveOwnedEntries();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private List<string> ReadOwned() => File.Exists(OwnedFile)
        ? File.ReadAllLines(OwnedFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList()
        : [];

    private static partial class Log
    {
        [LoggerMessage(1400, LogLevel.Information, "Docker CLI config {Path} updated: {Count} registry login(s) from the cluster (--write-docker-config)")]
        public static partial void Written(ILogger logger, string path, int count);

        [LoggerMessage(1401, LogLevel.Warning, "Cannot update the docker CLI config {Path}: {Reason}; left unchanged")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);

        [LoggerMessage(1402, LogLevel.Warning, "Docker CLI config {Path} names a credsStore: the docker CLI asks that helper and ignores the logins written here")]
        public static partial void CredsStoreSet(ILogger logger, string path);
    }
}
