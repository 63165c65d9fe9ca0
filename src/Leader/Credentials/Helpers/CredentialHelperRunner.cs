using System.Text;
using System.Text.Json;
using Cluster.Core.Processes;

namespace Cluster.Leader.Credentials.Helpers;

// Runs `docker-credential-HELPER get` as Docker does (the credential-helper protocol: the server
// URL on stdin, {"ServerURL","Username","Secret"} on stdout), with what the leader guarantees:
// - no shell: the program is looked up on the leader's PATH and started with an argument list;
// - a minimal environment: PATH, HOME set to a private directory that is deleted afterwards (so
//   a helper's cache, e.g. ~/.ecr, never keeps a token on disk), plus the credential's sealed
//   environment; nothing else of the leader's environment reaches the helper;
// - a deadline: a helper that hangs is killed with its children;
// - bounded output, and errors that never carry a secret (SecretRedactor).
public sealed partial class CredentialHelperRunner(HelperOptions options, TimeProvider time, ILogger<CredentialHelperRunner> log)
{
    // Far above any real credential JSON; beyond it the helper is broken and the rest is dropped.
    private const int MaxOutputBytes = 64 * 1024;

    public async Task<HelperRun> GetAsync(string helper, string serverUrl, IReadOnlyDictionary<string, string> environment, IEnumerable<string?> knownSecrets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var program = HelperName.Program(helper);
        var searchPath = options.SearchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        var path = Locate(program, searchPath);
        if (path is null)
        {
            return HelperRun.Failed($"{program} is not on the leader's PATH ({searchPath}): install it on the leader's machine{InstallHint(helper)}, or fix the helper name");
        }

        var secrets = environment.Values.Concat(knownSecrets).ToList();
        var home = Directory.CreateTempSubdirectory("cluster-helper-home-");
        try
        {
            var environmentGiven = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["PATH"] = searchPath,
                ["HOME"] = home.FullName,
            };
            foreach (var (key, value) in environment)
            {
                environmentGiven[key] = value;
            }

            var started = time.GetTimestamp();
            ChildProcessResult result;
            try
            {
                result = await ChildProcess.RunAsync(
                    new ChildProcessRequest
                    {
                        FileName = path,
                        Arguments = ["get"],
                        InheritEnvironment = false,
                        Environment = environmentGiven,
                        WorkingDirectory = home.FullName,
                        StandardInput = serverUrl,
                        Timeout = options.Timeout,
                        MaxOutputBytes = MaxOutputBytes,
                    },
                    time,
                    cancellationToken);
            }
            catch (ChildProcessStartException e)
            {
                return HelperRun.Failed($"{program} at {path} could not be started: {e.InnerException?.Message ?? e.Message}; check that it is executable by the leader's user");
            }

            if (result.TimedOut)
            {
                var partial = SecretRedactor.Redact(result.Error, secrets);
                Log.TimedOut(log, program, options.Timeout.TotalSeconds);
                return HelperRun.Failed($"{program} get did not answer within {options.Timeout.TotalSeconds:0.#} s and was killed" +
                    (partial.Length > 0 ? $" (its stderr: {partial})" : "") + "; check the helper's network access to its provider");
            }

            var output = result.Output;
            var errors = SecretRedactor.Redact(result.Error, secrets);
            var elapsed = time.GetElapsedTime(started);
            if (result.ExitCode != 0)
            {
                // Helpers report their errors on stdout (e.g. "credentials not found in native
                // keychain") or stderr; both are shown, redacted.
                var said = SecretRedactor.Redact(output, secrets);
                var logged = SecretRedactor.Redact(LastLoggedError(home.FullName), secrets);
                var text = string.Join("; ", new[] { said, errors, logged.Length > 0 ? "its log: " + logged : "" }.Where(s => s.Length > 0));
                Log.Failed(log, program, result.ExitCode, elapsed.TotalMilliseconds);
                return HelperRun.Failed($"{program} get exited {result.ExitCode}: {(text.Length > 0 ? text : "(no output)")}");
            }

            var parsed = Parse(program, output);
            if (parsed.Ok)
            {
                Log.Succeeded(log, program, elapsed.TotalMilliseconds);
            }
            else
            {
                Log.Failed(log, program, 0, elapsed.TotalMilliseconds);
            }

            return parsed.Ok || errors.Length == 0 ? parsed : parsed with { Error = $"{parsed.Error} (its stderr: {errors})" };
        }
        finally
        {
            try
            {
                home.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp clean-up; it holds nothing the helper was given on stdin.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    // The helper's stdout, as the protocol defines it. Never quotes the output: it may be the
    // secret in a shape we did not expect.
    public static HelperRun Parse(string program, string output)
    {
        string? username = null;
        string? secret = null;
        try
        {
            using var doc = JsonDocument.Parse(output);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    if (property.NameEquals("Username") || string.Equals(property.Name, "username", StringComparison.OrdinalIgnoreCase))
                    {
                        username = property.Value.GetString();
                    }
                    else if (property.NameEquals("Secret") || string.Equals(property.Name, "secret", StringComparison.OrdinalIgnoreCase))
                    {
                        secret = property.Value.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            return HelperRun.Failed($"{program} get printed {Encoding.UTF8.GetByteCount(output)} bytes that are not the credential-helper JSON {{\"ServerURL\",\"Username\",\"Secret\"}} (not shown: they may hold a secret); is it a credential helper?");
        }

        if (string.IsNullOrWhiteSpace(secret))
        {
            return HelperRun.Failed($"{program} get printed JSON without a Secret (expected {{\"ServerURL\",\"Username\",\"Secret\"}}); is it a credential helper, and does it know this registry?");
        }

        if (Encoding.UTF8.GetByteCount(secret) > CredentialService.MaxSecretBytes)
        {
            return HelperRun.Failed($"{program} get printed a Secret over {CredentialService.MaxSecretBytes} bytes; registry tokens are shorter");
        }

        return new HelperRun(string.IsNullOrWhiteSpace(username) ? null : username.Trim(), secret, null);
    }

    // Some helpers say why only in a log under HOME (docker-credential-ecr-login prints
    // "credentials not found in native keychain" and logs the real cause to
    // ~/.ecr/log/ecr-login.log). HOME is ours and about to be deleted: read its last error line.
    private static string LastLoggedError(string home)
    {
        try
        {
            var lines = Directory.EnumerateFiles(home, "*.log", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
                .Take(5)
                .SelectMany(f => File.ReadLines(f).TakeLast(200))
                .Where(l => l.Contains("level=error", StringComparison.OrdinalIgnoreCase) || l.Contains("error", StringComparison.OrdinalIgnoreCase))
                .ToList();
            var last = lines.Count == 0 ? "" : lines[^1];
            return last.Length > 600 ? last[..600] + "…" : last;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static string? Locate(string program, string searchPath)
    {
        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Path.IsPathRooted(dir))
            {
                // A relative PATH entry would depend on the leader's working directory.
                continue;
            }

            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private static string InstallHint(string helper) => helper switch
    {
        "ecr-login" => " (Debian: apt-get install amazon-ecr-credential-helper)",
        "pass" or "secretservice" => " (Debian: apt-get install golang-docker-credential-helpers)",
        _ => "",
    };

    private static partial class Log
    {
        [LoggerMessage(2700, LogLevel.Debug, "{Program} get answered in {Milliseconds} ms")]
        public static partial void Succeeded(ILogger logger, string program, double milliseconds);

        [LoggerMessage(2701, LogLevel.Warning, "{Program} get failed (exit {ExitCode}) after {Milliseconds} ms")]
        public static partial void Failed(ILogger logger, string program, int exitCode, double milliseconds);

        [LoggerMessage(2702, LogLevel.Warning, "{Program} get did not answer within {Seconds} s; killed")]
        public static partial void TimedOut(ILogger logger, string program, double seconds);
    }
}
