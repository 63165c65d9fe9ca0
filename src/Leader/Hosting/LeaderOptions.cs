using System.Net;
using Cluster.Hosting;

namespace Cluster.Leader.Hosting;

public sealed record LeaderOptions
{
    public required string DataDir { get; init; }

    public required IPEndPoint Listen { get; init; }

    // Host name or address agents use to reach the leader; defaults to the listen address.
    public string? Advertise { get; init; }

    public required Uri DockerHost { get; init; }

    // How often agents heartbeat; a node missing 3 periods is down.
    public TimeSpan HeartbeatPeriod { get; init; } = TimeSpan.FromSeconds(5);

    public Cluster.Leader.Deployments.DeploymentOptions Deployments { get; init; } = new();

    public Cluster.Leader.AutoSync.AutoSyncOptions AutoSync { get; init; } = new();

    // Plain-HTTP listener for webhook deliveries (null: none). Never carries gRPC.
    public IPEndPoint? WebhookListen { get; init; }

    // How docker-credential-* helpers are run (issue #12).
    public Cluster.Leader.Credentials.Helpers.HelperOptions CredentialHelpers { get; init; } = new();

    public Cluster.Leader.Builds.BuildOptions Builds { get; init; } = new();

    // Folders sent at deploy time (`deploy --from-dir`): the size cap (--max-upload-size).
    public Cluster.Leader.Sources.SourceUploadOptions Uploads { get; init; } = new();

    public static bool TryParseListen(string? value, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (value is null || !DaemonCommandLine.TryParseHostPort(value, out var host, out var port))
        {
            return false;
        }

        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
