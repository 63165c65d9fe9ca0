using System.Text.RegularExpressions;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Credentials.Helpers;

// A helper is named as Docker names them: HELPER runs the program docker-credential-HELPER. The
// name is a plain word, so it can only select a program on the leader's PATH, never a path or
// an argument.
public static partial class HelperName
{
    public const string ProgramPrefix = "docker-credential-";

    public static string Valid(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.StartsWith(ProgramPrefix, StringComparison.Ordinal))
        {
            trimmed = trimmed[ProgramPrefix.Length..];
        }

        return Pattern().IsMatch(trimmed)
            ? trimmed
            : throw new OperationException(OperationError.InvalidArgument,
                $"--helper '{name}' is not a credential helper name: give the part after docker-credential-, e.g. ecr-login for docker-credential-ecr-login (letters, digits, '.', '_', '-')");
    }

    public static string Program(string name) => ProgramPrefix + name;

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$")]
    private static partial Regex Pattern();
}
