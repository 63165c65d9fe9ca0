using System.CommandLine;
using Cluster.Core.Docker;

namespace Cluster.Hosting;

// Command line conventions every daemon shares (INTERFACE.md): --help on every binary,
// --docker-host with DOCKER_HOST as fallback, and signal handling left to the generic host.
public static class DaemonCommandLine
{
    public static Option<Uri> DockerHostOption() => new("--docker-host")
    {
        Description = "Docker engine endpoint (default: $DOCKER_HOST, else unix:///var/run/docker.sock)",
        DefaultValueFactory = _ => DockerEngine.DefaultEndpoint,
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "unix" or "tcp" or "http" or "https")
            {
                return uri;
            }

            result.AddError($"--docker-host '{text}' is not an engine URI; use unix:///path/to/docker.sock or tcp://host:port");
            return null;
        },
    };

    // HOST:PORT of the leader, validated so a typo fails at start, not at the first connection.
    public static Option<string> LeaderOption() => new("--leader")
    {
        Description = "Leader address HOST:PORT",
        Required = true,
        Validators =
        {
            result =>
            {
                var value = result.GetValueOrDefault<string>();
                if (value is null || !TryParseHostPort(value, out _, out _))
                {
                    result.AddError($"--leader '{value}' is not HOST:PORT (for example 10.0.0.1:7443)");
                }
            },
        },
    };

    public static bool TryParseHostPort(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return host.Length > 0 && int.TryParse(value[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port is > 0 and < 65536;
    }

    // Parses and runs. SIGTERM/SIGINT are handled by the generic host (graceful stop, exit 0),
    // so System.CommandLine's own termination handling is switched off to avoid two owners.
    // A failure that escapes the daemon is reported as one line naming what failed, never as a
    // stack trace: operators read these in journald.
    public static async Task<int> RunAsync(RootCommand command, string[] args)
    {
        ArgumentNullException.ThrowIfNull(command);
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await command.Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"{command.Name}: fatal: {Describe(e)}").ConfigureAwait(false);
            return 1;
        }
    }

    // The messages of an exception and its causes, outermost first, without stack frames.
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (parts.Count == 0 || !parts[^1].Contains(e.Message, StringComparison.Ordinal))
            {
                parts.Add(e.Message);
            }
        }

        return string.Join(": ", parts);
    }
}
