using System.Text.RegularExpressions;
using Cluster.Core.Git;
using Cluster.Core.Text;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Apps;

// What `app create --git` accepts, checked before anything is stored. URLs carry no secrets
// (credentials go through `clusterctl git add`; an SSH user such as git@ is no secret), refs and paths cannot be read as git options or
// climb out of the repository.
public static partial class GitSource
{
    public const int MaxTimeoutSeconds = 6 * 3600;

    public static void Validate(AppSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var url = spec.GitUrl!.Trim();
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.UserInfo.Length > 0)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--git: the URL must not hold a user or token (it would be stored and shown); add the token with `clusterctl git add NAME --url {uri.Scheme}://{uri.Authority}/ --token-stdin` and pass --git-credential NAME");
        }

        // Every spelling git accepts for https://, http://, git:// and SSH (ssh://, user@host:path).
        try
        {
            GitRemote.Parse(url);
        }
        catch (FormatException e)
        {
            throw new OperationException(OperationError.InvalidArgument, $"--git {url}: {e.Message}");
        }

        var gitRef = (spec.GitRef ?? "").Trim();
        if (gitRef.Length > 0 && !RefPattern().IsMatch(gitRef))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--ref {Quoted.Value(spec.GitRef)} is not a branch, tag or commit SHA: use e.g. main, v1.2.0 or a full 40-digit SHA (letters, digits, '.', '_', '/' and '-', at most 200, starting with a letter or digit)");
        }

        CheckRelative("--dockerfile", spec.Dockerfile);
        CheckRelative("--context", spec.ContextDir);
        if (!string.IsNullOrWhiteSpace(spec.TargetStage) && !StagePattern().IsMatch(spec.TargetStage.Trim()))
        {
            throw new OperationException(OperationError.InvalidArgument, InvalidStage(spec.TargetStage));
        }

        foreach (var key in spec.BuildArgs.Keys)
        {
            if (!ArgPattern().IsMatch(key))
            {
                throw new OperationException(OperationError.InvalidArgument, $"--build-arg '{key}=...': the name must be letters, digits and '_', not starting with a digit");
            }
        }

        if (spec.BuildTimeoutSeconds is < 0 or > MaxTimeoutSeconds || spec.BuildTimeoutSeconds is > 0 and < 5)
        {
            throw new OperationException(OperationError.InvalidArgument, InvalidBuildTimeout(spec.BuildTimeoutSeconds));
        }
    }

    private static void CheckRelative(string flag, string? path)
    {
        var p = (path ?? "").Trim();
        if (p.Length > 0 && (p.StartsWith('/') || p.Split('/').Contains("..") || p.StartsWith('-')))
        {
            throw new OperationException(OperationError.InvalidArgument, $"{flag} '{path}' must be a path inside the repository (relative, without '..')");
        }
    }

    // The refusals --build-timeout and --target share with DirSource: the value as sent and
    // what a valid one is.
    public static string InvalidBuildTimeout(int seconds) =>
        $"--build-timeout {seconds}s is out of range: give between 5s and 6h, e.g. 90s, 20m or 1h (leave it out for the cluster's default)";

    public static string InvalidStage(string? stage) =>
        $"--target {Quoted.Value(stage)} is not a stage name: give the name after AS in a FROM line of the Dockerfile (letters, digits, '.', '_' and '-', at most 128, starting with a letter or digit)";

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,199}$")]
    private static partial Regex RefPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")]
    private static partial Regex StagePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ArgPattern();
}
