using System.Text.RegularExpressions;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Apps;

// What `app create NAME --from-dir` accepts, checked before anything is stored: the build
// options that make sense for a folder (--dockerfile inside it, --target, --build-arg,
// --build-timeout), none of the Git ones, and no Auto-Sync (a folder changes only when it is
// deployed, so there is no tag to watch).
public static partial class DirSource
{
    public static void Validate(AppSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var gitOnly = new (string Flag, string? Value)[] { ("--ref", spec.GitRef), ("--context", spec.ContextDir), ("--git-credential", spec.GitCredential) }
            .Where(f => !string.IsNullOrWhiteSpace(f.Value)).Select(f => f.Flag).ToList();
        if (gitOnly.Count > 0)
        {
            throw new OperationException(OperationError.InvalidArgument, $"{string.Join(", ", gitOnly)} apply to apps built from Git; a --from-dir app builds the folder given at deploy time as it is (its .dockerignore decides what is sent)");
        }

        if (spec.AutoSync)
        {
            throw new OperationException(OperationError.InvalidArgument, "--auto-sync watches a registry tag; an app built from a folder changes only when you deploy it (`clusterctl deploy NAME --from-dir PATH`)");
        }

        var dockerfile = (spec.Dockerfile ?? "").Trim();
        if (dockerfile.Length > 0 && (dockerfile.StartsWith('/') || dockerfile.Split('/').Contains("..") || dockerfile.StartsWith('-') || dockerfile.EndsWith('/')))
        {
            throw new OperationException(OperationError.InvalidArgument, $"--dockerfile '{spec.Dockerfile}' must be a file path inside the folder (relative, without '..')");
        }

        if (!string.IsNullOrWhiteSpace(spec.TargetStage) && !StagePattern().IsMatch(spec.TargetStage.Trim()))
        {
            throw new OperationException(OperationError.InvalidArgument, GitSource.InvalidStage(spec.TargetStage));
        }

        foreach (var key in spec.BuildArgs.Keys)
        {
            if (!ArgPattern().IsMatch(key))
            {
                throw new OperationException(OperationError.InvalidArgument, $"--build-arg '{key}=...': the name must be letters, digits and '_', not starting with a digit");
            }
        }

        if (spec.BuildTimeoutSeconds is < 0 or > GitSource.MaxTimeoutSeconds || spec.BuildTimeoutSeconds is > 0 and < 5)
        {
            throw new OperationException(OperationError.InvalidArgument, GitSource.InvalidBuildTimeout(spec.BuildTimeoutSeconds));
        }
    }

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._\-]{0,127}\z")]
    private static partial Regex StagePattern();

    [GeneratedRegex(@"\A[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex ArgPattern();
}
