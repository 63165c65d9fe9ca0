using System.CommandLine;
using System.Globalization;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// The build flags of `clusterctl app create --git` (and --from-dir): --context, --target,
// --build-arg (repeatable), --git-credential and --build-timeout, kept here so AppCommands only
// wires them in. A --from-dir app takes --target, --build-arg and --build-timeout.
internal sealed class BuildCommands
{
    private readonly Option<string?> _context = new("--context") { Description = "Build context directory inside the repository (default: the root)" };
    private readonly Option<string?> _target = new("--target") { Description = "Multi-stage build target" };
    private readonly Option<string[]> _buildArgs = new("--build-arg") { Description = "Build argument K=V (repeatable)" };
    private readonly Option<string?> _gitCredential = new("--git-credential") { Description = "Git credential for a private repository (`clusterctl git add`)" };
    private readonly Option<string?> _timeout = new("--build-timeout") { Description = "Stop the build after this long, e.g. 90s, 20m, 1h (default 30m)" };

    public static BuildCommands CreateOptions() => new();

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_context);
        command.Options.Add(_target);
        command.Options.Add(_buildArgs);
        command.Options.Add(_gitCredential);
        command.Options.Add(_timeout);
    }

    public void Apply(ParseResult parse, CreateAppRequest request)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(request);
        request.ContextDir = parse.GetValue(_context) ?? "";
        request.TargetStage = parse.GetValue(_target) ?? "";
        request.GitCredential = parse.GetValue(_gitCredential) ?? "";
        foreach (var kv in parse.GetValue(_buildArgs) ?? [])
        {
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException($"--build-arg '{kv}' is not K=V");
            }

            request.BuildArgs[kv[..eq]] = kv[(eq + 1)..];
        }

        if (parse.GetValue(_timeout) is { Length: > 0 } timeout)
        {
            request.BuildTimeoutSeconds = (uint)ParseDuration(timeout).TotalSeconds;
        }

        var isGit = request.GitUrl.Length > 0;
        if (request.FromDir && (request.ContextDir.Length > 0 || request.GitCredential.Length > 0 || request.GitRef.Length > 0))
        {
            throw new CliException("--ref, --context and --git-credential apply to apps built from Git; a --from-dir app builds the folder given at deploy time as it is (its .dockerignore decides what is sent)");
        }

        if (!isGit && !request.FromDir && (request.ContextDir.Length > 0 || request.TargetStage.Length > 0 || request.GitCredential.Length > 0 || request.BuildArgs.Count > 0 || request.BuildTimeoutSeconds > 0))
        {
            throw new CliException("--context, --target, --build-arg, --git-credential and --build-timeout apply to apps that are built: --git URL, or --from-dir (which takes --target, --build-arg and --build-timeout)");
        }
    }

    // "90s", "20m", "1h", "1h30m" or plain seconds.
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && plain > 0)
        {
            return TimeSpan.FromSeconds(plain);
        }

        var total = TimeSpan.Zero;
        var number = "";
        foreach (var c in s)
        {
            if (char.IsAsciiDigit(c) || c == '.')
            {
                number += c;
                continue;
            }

            if (number.Length == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new CliException($"'{text}' is not a duration like 90s, 20m or 1h");
            }

            total += c switch
            {
                's' => TimeSpan.FromSeconds(value),
                'm' => TimeSpan.FromMinutes(value),
                'h' => TimeSpan.FromHours(value),
                _ => throw new CliException($"'{text}' is not a duration like 90s, 20m or 1h"),
            };
            number = "";
        }

        return number.Length == 0 && total > TimeSpan.Zero ? total : throw new CliException($"'{text}' is not a duration like 90s, 20m or 1h");
    }
}
