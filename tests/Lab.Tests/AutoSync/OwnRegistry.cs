using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.AutoSync;

// A second real distribution registry, started by the test on 10.77.0.254:<free port>, serving
// the SAME storage directory and htpasswd file as the lab registry (so an image pushed through
// either is visible through both), with its own config: its access log goes to a file the test
// reads (one `response completed` line per request), and, when asked, its `notifications:`
// endpoint points at the leader's webhook listener. Stopped by pid on dispose.
public sealed partial class OwnRegistry : IAsyncDisposable
{
    private readonly Daemon _process;

    private OwnRegistry(Daemon process, string dir, int port, string hostIp)
    {
        _process = process;
        Dir = dir;
        Port = port;
        Host = $"{hostIp}:{port}";
    }

    public string Dir { get; }

    public int Port { get; }

    // "10.77.0.254:<port>", as a registry host.
    public string Host { get; }

    public string LogFile => Path.Combine(Dir, "registry.log");

    public static async Task<OwnRegistry> StartAsync(LabEnvironment env, Uri? notify = null, string? notifySecret = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        var dir = Directory.CreateTempSubdirectory("autosync-registry-").FullName;
        var port = FreePort(env.HostIp);
        var storage = Path.Combine(env["LAB_DIR"], "reg", "data");
        var notifications = notify is null ? "" : $"""
            notifications:
              events: {"{"} includereferences: true {"}"}
              endpoints:
                - name: cluster-leader
                  url: {notify}
                  headers: {"{"} Authorization: [Bearer {notifySecret}] {"}"}
                  timeout: 2s
                  threshold: 5
                  backoff: 1s
            """;
        var config = $"""
            version: 0.1
            log:
              level: info
              fields: {"{"} service: autosync-test-registry {"}"}
            storage:
              filesystem: {"{"} rootdirectory: {storage} {"}"}
              maintenance: {"{"} uploadpurging: {"{"} enabled: false {"}"} {"}"}
            http:
              addr: {env.HostIp}:{port}
              secret: {Guid.NewGuid():N}
            auth:
              htpasswd: {"{"} realm: autosync, path: {env.RegistryHtpasswd} {"}"}
            health:
              storagedriver: {"{"} enabled: false {"}"}
            {notifications}
            """;
        var configFile = Path.Combine(dir, "config.yml");
        await File.WriteAllTextAsync(configFile, config);
        var log = Path.Combine(dir, "registry.log");
        // exec: the pid is the registry's own, so disposing stops exactly it.
        var process = Daemon.StartCommand("/bin/sh", "-c", $"exec docker-registry serve '{configFile}' >>'{log}' 2>&1");
        var registry = new OwnRegistry(process, dir, port, env.HostIp);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://{registry.Host}/v2/"));
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    return registry;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        var text = File.Exists(log) ? await File.ReadAllTextAsync(log) : "(no log)";
        await registry.DisposeAsync();
        throw new InvalidOperationException($"own registry on {registry.Host} did not come up:\n{text}");
    }

    // Manifest requests from the access log, in order: (time, method, path, status).
    public IReadOnlyList<(DateTimeOffset At, string Method, string Path, int Status)> ManifestRequests()
    {
        var lines = File.Exists(LogFile) ? File.ReadAllLines(LogFile) : [];
        var result = new List<(DateTimeOffset, string, string, int)>();
        foreach (var line in lines.Where(l => l.Contains("msg=\"response completed\"", StringComparison.Ordinal)))
        {
            var uri = Field(line, "http.request.uri");
            if (uri is null || !uri.Contains("/manifests/", StringComparison.Ordinal))
            {
                continue;
            }

            var at = DateTimeOffset.Parse(Field(line, "time")!, CultureInfo.InvariantCulture);
            result.Add((at, Field(line, "http.request.method") ?? "", uri, int.Parse(Field(line, "http.response.status") ?? "0", CultureInfo.InvariantCulture)));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _process.Signal("TERM");
        if (await _process.WaitForExitAsync(TimeSpan.FromSeconds(10)) is null)
        {
            _process.Signal("KILL");
        }

        await _process.DisposeAsync();
    }

    private static string? Field(string line, string name)
    {
        var match = FieldPattern().Matches(line).FirstOrDefault(m => m.Groups[1].Value == name);
        return match is null ? null : match.Groups[2].Success ? match.Groups[2].Value : match.Groups[3].Value;
    }

    private static int FreePort(string ip)
    {
        using var socket = new TcpListener(IPAddress.Parse(ip), 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    [GeneratedRegex("""(?:^|\s)([\w.]+)=(?:"([^"]*)"|(\S+))""")]
    private static partial Regex FieldPattern();
}
