using System.Security.Cryptography.X509Certificates;
using Cluster.Core.Docker;
using Cluster.Core.Security;
using Cluster.Core.Registry;
using Cluster.Hosting;
using Cluster.Leader.Agents;
using Cluster.Leader.Api;
using Cluster.Leader.Apps;
using Cluster.Leader.AutoSync;
using Cluster.Leader.Builds;
using Cluster.Leader.Deployments;
using Cluster.Leader.ClusterConfig;
using Cluster.Leader.Credentials;
using Cluster.Leader.Credentials.Git;
using Cluster.Leader.Credentials.Helpers;
using Cluster.Leader.Security;
using Cluster.Leader.Sources;
using Cluster.Leader.Storage;
using Cluster.Leader.Webhooks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Cluster.Leader.Hosting;

// Composition root of the leader: one Kestrel endpoint (HTTP/2 over TLS with the leader's own
// CA) carrying every gRPC API, plus the standard health and reflection services so grpcurl and
// load balancers work. Every service requires the admin token unless ApiAccessPolicy lists it
// (AdminAuthInterceptor enforces it for every mapped service).
public static partial class LeaderHost
{
    // How long a TLS handshake on the leader's port may take, from the accept (Kestrel's
    // HttpsConnectionAdapterOptions.HandshakeTimeout; its default is 10 s).
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    // The daemon: started as below, then serving until SIGTERM/SIGINT stops the host.
    public static async Task<int> RunAsync(LeaderOptions options, CancellationToken cancellationToken)
    {
        await using var leader = await StartAsync(options, configure: null, cancellationToken);
        await leader.WaitForShutdownAsync();
        return 0;
    }

    // The leader composed, its interrupted deployments closed and its endpoint listening, exactly
    // as the daemon runs it. configure sees the builder after every registration and before it
    // is built (tests replace the log providers with ones they read). Disposing the result stops
    // the leader and closes its data dir.
    public static async Task<RunningLeader> StartAsync(LeaderOptions options, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = LeaderState.Open(options.DataDir);
        WebApplication? app = null;
        try
        {
            app = Build(state, options, configure);
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cluster.Leader");
            await ProbeEngineAsync(app.Services.GetRequiredService<DockerEngine>(), log, cancellationToken);
            // Deployments cut short by a restart are closed.
            await app.Services.GetRequiredService<DeploymentOrchestrator>().RecoverInterruptedAsync(cancellationToken);
            await app.StartAsync(cancellationToken);
            return new RunningLeader(app, state);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            state.Dispose();
            throw;
        }
    }

    private static WebApplication Build(LeaderState state, LeaderOptions options, Action<WebApplicationBuilder>? configure)
    {
        // Secrets sealed by an older leader (bound to their record id only) are bound to their
        // registry URL and username now, before anything reads them (issue #9.6).
        KeyRotation.UpgradeBindings(state.Secrets, state.Database);
        var unopenable = SecretCheck.Run(state.Secrets, state.Database);
        var names = new List<string> { options.Listen.Address.ToString() };
        if (options.Advertise is { Length: > 0 } advertise)
        {
            names.Add(DaemonCommandLine.TryParseHostPort(advertise, out var host, out _) ? host : advertise);
        }

        var pki = LeaderPki.LoadOrCreate(options.DataDir, names);
        var tokens = TokenStore.LoadOrCreate(options.DataDir, pki.CaFingerprint);

        // The empty builder and Kestrel's core (issue #14: the leader idles on a small server
        // next to the user's apps): the leader takes flags only and serves one HTTP/2 TLS
        // endpoint, so it loads and runs none of the default builder's configuration sources
        // (appsettings files and a file watcher on the data dir, environment variables), IIS
        // integration, HTTP/3 (QUIC), host filtering or forwarded-headers middleware, nor the
        // Debug and EventSource log providers (AddDaemonDefaults clears them anyway).
        // UseKestrelHttpsConfiguration lets the endpoint's UseHttps below take its options.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.DataDir });
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration();
        builder.AddDaemonDefaults();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(state.Database);
        builder.Services.AddSingleton(state.Secrets);
        builder.Services.AddSingleton(pki);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(_ => new DockerEngine(options.DockerHost));
        builder.Services.AddSingleton(sp => new RegistryClient(time: sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ClusterSettings>();
        builder.Services.AddSingleton<ICredentialUsers, AppCredentialUsers>();
        builder.Services.AddSingleton<CredentialService>();
        builder.Services.AddSingleton(options.CredentialHelpers);
        builder.Services.AddSingleton<CredentialHelperRunner>();
        builder.Services.AddSingleton<HelperCredentials>();
        // First of the leader's hosted services: the events between services are wired before
        // any of them starts.
        builder.Services.AddHostedService<LeaderWiring>();
        builder.Services.AddHostedService<HelperRefresher>();
        builder.Services.AddSingleton<ClusterService>();
        builder.Services.AddSingleton<NodeStore>();
        builder.Services.AddSingleton<NodeAuthenticator>();
        builder.Services.AddSingleton<SwarmMembership>();
        builder.Services.AddSingleton<IPinSource, PinnedImages>();
        builder.Services.AddSingleton(new AgentOptions { HeartbeatPeriod = options.HeartbeatPeriod });
        builder.Services.AddSingleton<SessionRegistry>();
        builder.Services.AddSingleton<PrePullReports>();
        builder.Services.AddSingleton<NodeService>();
        builder.Services.AddHostedService<AckWriter>();
        builder.Services.AddSingleton<OwnedServices>();
        builder.Services.AddSingleton<AppService>();
        builder.Services.AddSingleton(options.Builds);
        builder.Services.AddSingleton<BuilderRegistry>();
        builder.Services.AddSingleton<IBuilderSessions>(sp => sp.GetRequiredService<BuilderRegistry>());
        builder.Services.AddSingleton(_ => new SshHostKeyScanner());
        builder.Services.AddSingleton<GitCredentialService>();
        builder.Services.AddSingleton<BuildTopology>();
        builder.Services.AddSingleton<BuildService>();
        builder.Services.AddSingleton<LocalImageMigrator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalImageMigrator>());
        builder.Services.AddHostedService<ImageHousekeeping>();
        builder.Services.AddSingleton<IDeploymentStep, BuildStep>();
        builder.Services.AddSingleton(sp => new SourceUploadStore(
            Path.Combine(options.DataDir, SourceUploadStore.DirectoryName), options.Uploads, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SourceUploadStore>>()));
        builder.Services.AddDeployments(options.Deployments);
        builder.Services.AddAutoSync(options.AutoSync);
        builder.Services.AddWebhooks(new WebhookOptions { Listen = options.WebhookListen, Advertise = options.Advertise, ContentRoot = options.DataDir });
        builder.Services.AddGuardedGrpc();
        builder.Services.AddGrpcReflection();
        // Node-facing services take small messages only (AgentLimits): a node cannot make the
        // leader buffer a large message before the field checks even run.
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions<DispatcherApi>>(o => o.MaxReceiveMessageSize = AgentLimits.MaxMessageBytes);
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions<EnrollmentApi>>(o => o.MaxReceiveMessageSize = AgentLimits.MaxMessageBytes);
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions<BuildDispatcherApi>>(o => o.MaxReceiveMessageSize = BuildDispatcherApi.MaxMessageBytes);
        // Uploaded folders arrive in chunks of at most 1 MiB; nothing larger is buffered.
        builder.Services.Configure<Grpc.AspNetCore.Server.GrpcServiceOptions<SourceUploadsApi>>(o => o.MaxReceiveMessageSize = SourceUploadOptions.ChunkBytes + 4096);
        // Checked on request (no cache), so Health/Check answers SERVING as soon as we listen.
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false)
            .AddCheck("leader", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = pki.Server,
                    ServerCertificateChain = [pki.Ca],
                    // Agents and builders present client certificates from this CA; admins
                    // use the admin token instead, so a certificate is optional here.
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                    // The TLS stack builds the client's chain before that callback: offline.
                    OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = PinnedCa.OfflineChainPolicy(),
                    // Kestrel's default (10 s) closed handshakes that a loaded machine had not
                    // finished (20 clusterctl at once, or agents reconnecting together): the
                    // leader waits longer than clusterctl does to connect (20 s), so a slow
                    // client gets through or gives up itself with a message that says so.
                    HandshakeTimeout = HandshakeTimeout,
                });
            }));

        configure?.Invoke(builder);
        var app = builder.Build();
        // Refused calls are answered before their body is read (the interceptor checks again).
        app.UseApiGate();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGrpcService<RegistriesApi>();
        app.MapGrpcService<ClusterAdminApi>();
        app.MapGrpcService<NodesApi>();
        app.MapGrpcService<NodeAdmissionApi>();
        app.MapGrpcService<EnrollmentApi>();
        app.MapGrpcService<DispatcherApi>();
        app.MapGrpcService<AppsApi>();
        app.MapGrpcService<DeploymentsApi>();
        app.MapGrpcService<WebhooksApi>();
        app.MapGrpcService<BuildDispatcherApi>();
        app.MapGrpcService<GitCredentialsApi>();
        app.MapGrpcService<SourceUploadsApi>();
        // Created now: it deletes the uploads a previous run left (their deployments are over).
        app.Services.GetRequiredService<SourceUploadStore>();

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cluster.Leader");
        foreach (var bad in unopenable)
        {
            Log.SecretDoesNotOpen(log, bad.Kind, bad.Name, bad.RecordId, bad.Reason, bad.Remedy);
        }

        app.Lifetime.ApplicationStarted.Register(() => Log.Started(log, options.Listen.ToString(), options.DataDir, pki.CaFingerprint[..16]));
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            Log.Stopping(log);
            app.Services.GetRequiredService<SessionRegistry>().CloseAll();
            app.Services.GetRequiredService<BuilderRegistry>().CloseAll();
        });
        return app;
    }

    // `cluster-leader rotate-key`: re-encrypts every stored secret under a new key.
    public static int RotateKey(string dataDir)
    {
        using var state = LeaderState.Open(dataDir);
        var (keyId, count) = KeyRotation.Rotate(state.Secrets, state.Database, $"rotate-key@{Environment.MachineName}");
        Console.WriteLine($"re-encrypted {count} secret{(count == 1 ? "" : "s")} under new key {keyId}; old keys deleted");
        return 0;
    }

    // The leader works through the local engine's swarm API; say at start what it found so a
    // wrong --docker-host or a non-manager node is visible at once, not at the first deployment.
    private static async Task ProbeEngineAsync(DockerEngine engine, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var info = await engine.GetInfoAsync(timeout.Token);
            if (info.IsSwarmManager)
            {
                Log.EngineManager(log, engine.Endpoint.ToString(), info.Hostname, info.Version, info.SwarmNodeId!);
            }
            else
            {
                Log.EngineNotManager(log, engine.Endpoint.ToString(), info.Hostname);
            }
        }
        catch (Exception e) when (e is DockerOperationException or OperationCanceledException)
        {
            Log.EngineUnavailable(log, engine.Endpoint.ToString(), e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "cluster-leader listening on {Listen} (TLS, CA {CaFingerprint}…), data in {DataDir}")]
        public static partial void Started(ILogger logger, string listen, string dataDir, string caFingerprint);

        [LoggerMessage(6, LogLevel.Error, "the stored secret of {Kind} {Name} (record {RecordId}) does not open: {Reason}. It is not used or sent anywhere until it is set again: {Remedy}")]
        public static partial void SecretDoesNotOpen(ILogger logger, string kind, string name, string recordId, string reason, string remedy);

        [LoggerMessage(2, LogLevel.Information, "cluster-leader stopping")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(3, LogLevel.Information, "Docker engine {Endpoint} ({Hostname}, {Version}) is a swarm manager, node {SwarmNodeId}")]
        public static partial void EngineManager(ILogger logger, string endpoint, string hostname, string version, string swarmNodeId);

        [LoggerMessage(4, LogLevel.Warning, "Docker engine {Endpoint} ({Hostname}) is not a swarm manager; deployments need `docker swarm init` on this node")]
        public static partial void EngineNotManager(ILogger logger, string endpoint, string hostname);

        [LoggerMessage(5, LogLevel.Warning, "Docker engine {Endpoint} is not available: {Reason}")]
        public static partial void EngineUnavailable(ILogger logger, string endpoint, string reason);
    }
}
