using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Net.Sockets;
using System.Text;
using Cluster.Core.Security;
using Cluster.Leader.Hosting;
using Cluster.Protos.Admin.V1;
using Grpc.Core;
using Grpc.Net.Client;
using AdminApps = Cluster.Protos.Admin.V1.Apps;
using AdminDeployments = Cluster.Protos.Admin.V1.Deployments;
using AdminNodes = Cluster.Protos.Admin.V1.Nodes;
using AdminWebhooks = Cluster.Protos.Admin.V1.Webhooks;
using Cluster.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Leader.Tests.Support;

// The leader's own composition root (LeaderHost.StartAsync, flags parsed by LeaderCommandLine as
// the binary parses them) hosted in the test process on 127.0.0.1, with its own temp data dir and
// an engine socket that does not exist: the same services, gate, TLS endpoint and files as
// cluster-leader, without a process start per test. Callers talk to it over real TLS gRPC, and
// clusterctl runs as its real binary against it. Output holds the leader's log lines as the
// daemon would write them (message and exception text), for secret-in-log checks.
//
// StopAsync and RestartAsync stop the host and compose it again on the same data dir, port and
// flags, as a restart of the daemon does (LeaderHost.StartAsync reads the data dir anew).
//
// The binary itself (its process, signals, exit codes) is tested in tests/Daemons.Tests.
public sealed class InProcessLeader : ITestLeader, IAsyncDisposable
{
    private readonly string _root;
    private readonly LeaderOptions _options;
    private readonly TimeProvider? _time;
    private readonly LogCapture _log = new();
    private readonly Lazy<GrpcChannel> _admin;
    private RunningLeader? _leader;

    private InProcessLeader(string root, int port, LeaderOptions options, TimeProvider? time)
    {
        _root = root;
        Port = port;
        _options = options;
        _time = time;
        _admin = new Lazy<GrpcChannel>(OpenAdminChannel);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string DataDir => Path.Combine(_root, "data");

    public string AdminToken => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public string JoinToken => File.ReadAllText(Path.Combine(DataDir, "join.token")).Trim();

    public string CaFingerprint => ClusterToken.TryParse(AdminToken, out var token, out var error) ? token.CaFingerprint : throw new InvalidOperationException(error);

    public string Output => _log.Text;

    public IServiceProvider Services => (_leader ?? throw new InvalidOperationException("the leader is stopped")).Services;

    // extraArgs: more cluster-leader flags (e.g. --webhook-listen; a --docker-host there replaces
    // the engine socket that does not exist), parsed as the binary does.
    public static Task<InProcessLeader> StartAsync(params string[] extraArgs) => StartAsync(null, extraArgs);

    // time: the clock every service of this leader reads and sets its timers on (a
    // FakeTimeProvider, so a test advances time instead of waiting); null for the real one.
    public static async Task<InProcessLeader> StartAsync(TimeProvider? time, params string[] extraArgs)
    {
        var root = Directory.CreateTempSubdirectory("cluster-leader-tests-").FullName;
        var port = InProcessLeader.FreePort();
        var engine = extraArgs.Contains("--docker-host") ? [] : new[] { "--docker-host", $"unix://{root}/no-engine.sock" };
        var options = LeaderCommandLine.Parse(
            ["--data-dir", Path.Combine(root, "data"), "--listen", $"127.0.0.1:{port}", .. engine, .. extraArgs]);
        var leader = new InProcessLeader(root, port, options, time);
        try
        {
            await leader.RestartAsync();
            return leader;
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    // Stops the leader (its host, as on SIGTERM) and keeps its data dir, for RestartAsync.
    public async Task StopAsync()
    {
        if (_leader is { } running)
        {
            _leader = null;
            await running.DisposeAsync();
        }
    }

    // Starts the leader (again) on the same data dir, port and flags; its log continues in Output.
    public async Task RestartAsync()
    {
        if (_leader is not null)
        {
            throw new InvalidOperationException("the leader is running; StopAsync first");
        }

        try
        {
            _leader = await LeaderHost.StartAsync(_options, builder =>
            {
                builder.Logging.ClearProviders().AddProvider(_log);
                if (_time is not null)
                {
                    builder.Services.AddSingleton(_time);
                }
            }, CancellationToken.None);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"the leader did not start: {e.Message}\n{_log.Text}", e);
        }
    }

    // The real clusterctl binary against this leader, the token passed as CLUSTER_TOKEN (never
    // argv), no config file. Output is stdout and stderr interleaved. The JIT build runs without
    // dynamic PGO (a process this short gains nothing from it: 5-15 % less CPU a run, measured);
    // the native build (CLUSTER_TEST_CLUSTERCTL) ignores the variable.
    public Task<ProcessResult> CtlAsync(string? token, params string[] args) => RunCtlAsync(token, null, args);

    // With the admin token and this text on clusterctl's stdin (passwords: --password-stdin).
    public Task<ProcessResult> CtlWithStdinAsync(string stdin, params string[] args) => RunCtlAsync(null, stdin, args);

    private async Task<ProcessResult> RunCtlAsync(string? token, string? stdin, string[] args) =>
        await ProcessRunner.RunAsync(Daemon.PathOf("Cli", "clusterctl"), args, TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["CLUSTER_LEADER"] = Address,
            ["CLUSTER_TOKEN"] = token ?? AdminToken,
            ["CLUSTER_CONFIG"] = Path.Combine(_root, "no-clusterctl.conf"),
            ["DOTNET_TieredPGO"] = "0",
        }, stdin);

    // The leader's state read over the admin API (TLS, CA pinned, admin token): for checks of what
    // the leader holds, where the test is not about how clusterctl prints it. Cheaper than a
    // clusterctl process per look, which matters in polling loops.
    public async Task<IReadOnlyList<App>> AppsAsync() =>
        (await new AdminApps.AppsClient(_admin.Value).ListAppsAsync(new ListAppsRequest(), Authorized())).Apps;

    public async Task<IReadOnlyList<Deployment>> DeploymentsAsync(string app) =>
        (await new AdminDeployments.DeploymentsClient(_admin.Value).ListDeploymentsAsync(new ListDeploymentsRequest { App = app }, Authorized())).Deployments;

    public async Task<IReadOnlyList<Node>> NodesAsync() =>
        (await new AdminNodes.NodesClient(_admin.Value).ListNodesAsync(new ListNodesRequest(), Authorized())).Nodes;

    public async Task<IReadOnlyList<Webhook>> WebhooksAsync() =>
        (await new AdminWebhooks.WebhooksClient(_admin.Value).ListWebhooksAsync(new ListWebhooksRequest(), Authorized())).Webhooks;

    public async Task<AddWebhookResponse> AddWebhookAsync(string name, string kind) =>
        await new AdminWebhooks.WebhooksClient(_admin.Value).AddWebhookAsync(new AddWebhookRequest { Name = name, Kind = kind }, Authorized());

    // Setup through the admin API, for tests about something else than `clusterctl app create`.
    public async Task<App> CreateAppAsync(CreateAppRequest request) =>
        await new AdminApps.AppsClient(_admin.Value).CreateAppAsync(request, Authorized());

    // A deployment through the admin API, followed to its final record.
    public async Task<Deployment> DeployAsync(DeployRequest request)
    {
        using var call = new AdminDeployments.DeploymentsClient(_admin.Value).Deploy(request, Authorized());
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (call.ResponseStream.Current.Finished is { } finished)
            {
                return finished;
            }
        }

        throw new InvalidOperationException($"the deployment of {request.App} ended without its final record");
    }

    private CallOptions Authorized() =>
        new(new Metadata { { "authorization", "Bearer " + AdminToken } }, DateTime.UtcNow.AddSeconds(30));

    private GrpcChannel OpenAdminChannel()
    {
        var validate = PinnedCa.Validator(CaFingerprint);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            certificate is X509Certificate2 leaf && validate(leaf, chain, errors);
        return GrpcChannel.ForAddress($"https://{Address}", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        await StopAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless; never fail a test on cleanup.
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Every log line of this leader, with the level and category the daemon's console shows.
    private sealed class LogCapture : ILoggerProvider
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private void Append(string line)
        {
            lock (_text)
            {
                _text.AppendLine(line);
            }
        }

        private sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = $"{logLevel}: {category}[{eventId.Id}] {formatter(state, exception)}";
                capture.Append(exception is null ? line : line + "\n" + exception);
            }
        }
    }
}
