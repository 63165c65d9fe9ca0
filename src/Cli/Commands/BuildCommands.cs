using System.CommandLine;
using Cluster.Core.Text;
using Cluster.Protos.Admin.V1;

namespace Cluster.Cli.Commands;

// The build flags of `clusterctl app create --git` (and --from-dir): --context, --target,
// --build-arg (repeatable), --git-credential and --build-timeout, kept here so AppCommands only
// wires them in. A --from-dir app takes --target, --build-arg and --build-timeout.
internal sealed class BuildCommands
{
    private static readonly TimeSpan MinBuildTimeout = TimeSpan.FromSeconds(5);

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
        var position = 0;
        foreach (var kv in parse.GetValue(_buildArgs) ?? [])
        {
            var (key, value) = KeyValueFlag.Parse("--build-arg", ++position, kv, "VERSION=1.4.2");
            request.BuildArgs[key] = value;
        }

        if (parse.GetValue(_timeout) is { Length: > 0 } timeout)
        {
            request.BuildTimeoutSeconds = ParseBuildTimeout(timeout);
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

    // Core's Durations ("90s", "20m", "1h30m", plain seconds), the parser of every duration flag.
    // At least MinBuildTimeout, as the leader requires: a value under a second used to be sent as
    // 0 seconds, which the leader reads as "the default timeout".
    public static uint ParseBuildTimeout(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!Durations.TryParse(text, out var timeout))
        {
            throw new CliException($"--build-timeout '{text}' is not a duration like 90s, 20m or 1h");
        }

        if (timeout < MinBuildTimeout)
        {
            throw new CliException($"--build-timeout '{text}' is too short: give at least {Durations.Format(MinBuildTimeout)} (without the flag the cluster's default applies)");
        }

        return (uint)Math.Min(Math.Ceiling(timeout.TotalSeconds), uint.MaxValue);
    }
}
