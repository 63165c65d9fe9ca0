using Cluster.Core.Docker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Cluster.Hosting;

public static class DaemonHosting
{
    // A daemon that joins the leader from a node (agent, builder): its own private directory,
    // the daemon defaults, and the local engine it works through, watched from the start.
    public static HostApplicationBuilder CreateNodeDaemonBuilder(string privateDir, Uri dockerHost)
    {
        Directory.CreateDirectory(privateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // DisableDefaults: no appsettings.json, environment or command-line configuration (the
        // daemons take flags only) and so no file watcher on the private dir, no default log
        // providers (AddDaemonDefaults adds the one used): less to load and hold in a daemon that
        // idles on every node.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = privateDir, DisableDefaults = true });
        builder.AddDaemonDefaults();
        builder.Services.AddSingleton(_ => new DockerEngine(dockerHost));
        builder.Services.AddSingleton<EngineWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EngineWatch>());
        return builder;
    }

    // Logging, lifetime and memory every daemon uses: one line per event with a UTC timestamp on a
    // terminal or under a plain supervisor; journald priority prefixes and sd_notify readiness
    // under systemd (Type=notify units). Works the same with or without systemd. Freed native
    // memory goes back to the system every NativeHeapTrimmer.Period.
    public static void AddDaemonDefaults(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        if (SystemdHelpers.IsSystemdService())
        {
            builder.Services.AddSystemd();
            builder.Logging.AddSystemdConsole(o => o.UseUtcTimestamp = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // A start-up failure is rethrown to DaemonCommandLine.RunAsync, which prints it as one
        // line; the host's own copy of it is a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<NativeHeapTrimmer>();
    }
}
