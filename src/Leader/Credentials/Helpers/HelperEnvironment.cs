using System.Text.RegularExpressions;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Credentials.Helpers;

// The helper's own environment as the admin gives it (KEY=VALUE lines on stdin), e.g. an AWS
// access key for docker-credential-ecr-login. It is a secret: sealed at rest, never logged, and
// its values are redacted from anything the helper prints. PATH and HOME are the leader's to set
// (the helper is found on the leader's PATH and gets a private, throw-away HOME).
public static partial class HelperEnvironment
{
    public const int MaxBytes = 16 * 1024;

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "PATH", "HOME" };

    public static IReadOnlyDictionary<string, string> Parse(string? text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
        {
            return values;
        }

        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            throw new OperationException(OperationError.InvalidArgument, $"the helper environment is over {MaxBytes} bytes: stdin should hold only KEY=VALUE lines");
        }

        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? line.Trim() : line[..eq].Trim();
            // The line itself may hold a secret: name only its number.
            if (eq < 0 || !KeyPattern().IsMatch(key))
            {
                throw new OperationException(OperationError.InvalidArgument,
                    $"helper environment line {number} is not KEY=VALUE with KEY made of letters, digits and '_' (e.g. AWS_ACCESS_KEY_ID=...)");
            }

            if (Reserved.Contains(key))
            {
                throw new OperationException(OperationError.InvalidArgument,
                    $"helper environment line {number} sets {key}, which the leader sets itself (the helper is found on the leader's PATH and runs with a private HOME)");
            }

            values[key] = line[(eq + 1)..];
        }

        return values;
    }

    // The canonical stored form: one KEY=VALUE per line, sorted.
    public static string Format(IReadOnlyDictionary<string, string> values) =>
        string.Join('\n', values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex KeyPattern();
}
