using System.CommandLine;
using System.Net;
using Cluster.Core.Text;
using Cluster.Hosting;
using Cluster.Leader.AutoSync;

namespace Cluster.Leader.Hosting;

// cluster-leader's flags, turned into LeaderOptions. One definition for the binary (Program.cs)
// and for tests that host the leader in-process, so both start from the same parsed flags,
// defaults and validation.
public static class LeaderCommandLine
{
    // The root command: the flags, validated, handed to run as LeaderOptions.
    public static RootCommand Create(Func<LeaderOptions, CancellationToken, Task<int>> run)
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "Directory for the database, key material, TLS CA and tokens (created on first start, mode 0700)",
            Required = true,
        };
        var listen = new Option<string>("--listen")
        {
            Description = "ADDR:PORT to serve the admin, agent and builder gRPC APIs on",
            DefaultValueFactory = _ => "0.0.0.0:7443",
        };
        var advertise = new Option<string?>("--advertise")
        {
            Description = "Address agents and builders use to reach this leader (put in its certificate); default: the listen address",
        };
        var dockerHost = DaemonCommandLine.DockerHostOption();
        var heartbeat = new Option<double>("--heartbeat-period")
        {
            Description = "Seconds between agent heartbeats; a node that misses 3 is marked down (default 5)",
            DefaultValueFactory = _ => 5,
            Validators = { r => { if (r.GetValueOrDefault<double>() is < 0.2 or > 300) { r.AddError("--heartbeat-period must be between 0.2 and 300 seconds"); } } },
        };

        var prePullDeadline = new Option<double>("--pre-pull-deadline")
        {
            Description = "Seconds every node has to pre-pull a deployment's image (default 300)",
            DefaultValueFactory = _ => 300,
        };
        var resolveDeadline = new Option<double>("--resolve-deadline")
        {
            Description = "Seconds a deployment may wait on a registry that rate-limits (429, Retry-After) while resolving its tag (default 120)",
            DefaultValueFactory = _ => 120,
            Validators = { r => { if (r.GetValueOrDefault<double>() is < 0 or > 3600) { r.AddError("--resolve-deadline must be between 0 and 3600 seconds"); } } },
        };
        var convergeDeadline = new Option<double>("--converge-deadline")
        {
            Description = "Seconds swarm has to run every task on the new digest before the leader rolls back (default 180)",
            DefaultValueFactory = _ => 180,
        };
        var helperTimeout = new Option<double>("--credential-helper-timeout")
        {
            Description = "Seconds a docker-credential-* helper may take before it is killed and the run fails (default 30)",
            DefaultValueFactory = _ => 30,
            Validators = { r => { if (r.GetValueOrDefault<double>() is < 1 or > 600) { r.AddError("--credential-helper-timeout must be between 1 and 600 seconds"); } } },
        };
        var autoSyncInterval = new Option<string>("--auto-sync-interval")
        {
            Description = "How often Auto-Sync checks each watched image tag, for apps without their own --sync-interval (e.g. 60s, 5m; minimum 5s; default 60s)",
            DefaultValueFactory = _ => "60s",
            Validators = { r => { if (!Durations.TryParse(r.GetValueOrDefault<string>(), out var d) || d < AutoSyncOptions.MinimumInterval || d > TimeSpan.FromDays(1)) { r.AddError($"--auto-sync-interval '{r.GetValueOrDefault<string>()}' must be a duration between 5s and 24h (e.g. 60s, 5m)"); } } },
        };
        var webhookListen = new Option<string?>("--webhook-listen")
        {
            Description = "ADDR:PORT for webhook deliveries over plain HTTP (put a TLS reverse proxy in front); serves POST /hooks/NAME only, never the admin API. Default: no webhook listener",
        };
        var maxUploadSize = new Option<string>("--max-upload-size")
        {
            Description = "Largest folder (as a tar) `clusterctl deploy --from-dir` may send, e.g. 512M, 2G, 300K or bytes (default 512M)",
            DefaultValueFactory = _ => "512M",
            Validators = { r => { if (!Cluster.Leader.Sources.SourceUploadOptions.TryParseSize(r.GetValueOrDefault<string>(), out var b) || b < 1024 || b > 64L << 30) { r.AddError($"--max-upload-size '{r.GetValueOrDefault<string>()}' must be a size between 1K and 64G, like 512M"); } } },
        };
        var uploadIdleTimeout = new Option<double>("--upload-idle-timeout")
        {
            Description = "Seconds a `clusterctl deploy --from-dir` upload may send nothing before the leader ends it and frees its slot (default 120)",
            DefaultValueFactory = _ => 120,
            Validators = { r => { if (r.GetValueOrDefault<double>() is < 1 or > 3600) { r.AddError("--upload-idle-timeout must be between 1 and 3600 seconds"); } } },
        };
        var keepImages = new Option<int>("--keep-images")
        {
            Description = "Housekeeping: how many of the newest images of each built app build servers and nodes keep; older ones are removed unless a service or a running deployment uses them; 0 keeps everything (default 5)",
            DefaultValueFactory = _ => Cluster.Core.Builds.ImageRetention.DefaultKeepPerApp,
            Validators = { r => { if (r.GetValueOrDefault<int>() is < 0 or > 1000) { r.AddError("--keep-images must be between 0 (keep everything) and 1000"); } } },
        };
        var root = new RootCommand("cluster-leader: stores registry credentials, nodes, apps and deployments, serves the admin API, and orchestrates deployments through the local swarm manager.")
        {
            dataDir, listen, advertise, dockerHost, heartbeat, prePullDeadline, resolveDeadline, convergeDeadline, autoSyncInterval, webhookListen, helperTimeout, maxUploadSize, uploadIdleTimeout, keepImages,
        };
        webhookListen.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !LeaderOptions.TryParseListen(value, out _))
            {
                result.AddError($"--webhook-listen '{value}' is not ADDR:PORT (for example 0.0.0.0:9080)");
            }
        });
        listen.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!LeaderOptions.TryParseListen(value, out _))
            {
                result.AddError($"--listen '{value}' is not ADDR:PORT (for example 0.0.0.0:7443)");
            }
        });
        root.SetAction((parse, cancellationToken) =>
        {
            // The validator above already rejected unparsable values.
            _ = LeaderOptions.TryParseListen(parse.GetValue(listen), out var endpoint);
            _ = Durations.TryParse(parse.GetValue(autoSyncInterval), out var interval);
            _ = Cluster.Leader.Sources.SourceUploadOptions.TryParseSize(parse.GetValue(maxUploadSize), out var uploadCap);
            IPEndPoint? hooks = null;
            if (parse.GetValue(webhookListen) is { } hooksText)
            {
                _ = LeaderOptions.TryParseListen(hooksText, out hooks);
            }

            var options = new LeaderOptions
            {
                DataDir = parse.GetValue(dataDir)!.FullName,
                Listen = endpoint!,
                Advertise = parse.GetValue(advertise),
                DockerHost = parse.GetValue(dockerHost)!,
                HeartbeatPeriod = TimeSpan.FromSeconds(parse.GetValue(heartbeat)),
                AutoSync = new() { Interval = interval },
                WebhookListen = hooks,
                Deployments = new()
                {
                    PrePullDeadline = TimeSpan.FromSeconds(parse.GetValue(prePullDeadline)),
                    ResolveDeadline = TimeSpan.FromSeconds(parse.GetValue(resolveDeadline)),
                    ConvergeDeadline = TimeSpan.FromSeconds(parse.GetValue(convergeDeadline)),
                },
                CredentialHelpers = new() { Timeout = TimeSpan.FromSeconds(parse.GetValue(helperTimeout)) },
                Uploads = new() { MaxBytes = uploadCap, IdleTimeout = TimeSpan.FromSeconds(parse.GetValue(uploadIdleTimeout)) },
                Builds = new() { KeepImagesPerApp = parse.GetValue(keepImages) },
            };
            options.CredentialHelpers.Validate();
            return run(options, cancellationToken);
        });
        return root;
    }

    // The options cluster-leader would run with for these flags (what follows the binary's
    // name). Throws ArgumentException naming every refused flag, as the binary prints them.
    public static LeaderOptions Parse(params string[] args)
    {
        LeaderOptions? parsed = null;
        var result = Create((options, _) =>
        {
            parsed = options;
            return Task.FromResult(0);
        }).Parse(args);
        if (result.Errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", result.Errors.Select(e => e.Message)), nameof(args));
        }

        result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        return parsed ?? throw new ArgumentException("no options were parsed (a subcommand?)", nameof(args));
    }
}
