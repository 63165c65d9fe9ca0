using System.Text.RegularExpressions;
using Cluster.Core.Text;

namespace Cluster.Cli.Commands;

// The NAME=VALUE flags (--env, --build-arg). A refused value is quoted only when it looks like a
// name on its own (NAME without =VALUE): anything else may be the value typed without its name,
// and values are where secrets go, so that one is named by its position instead. A name here is
// upper-case (LOG_LEVEL, VERSION), as environment names are by convention: a password or a
// token is often one word of name characters too (hunter2, ghp_..., sk_live_...), and quoting
// it would echo it into a terminal or a CI log.
internal static partial class KeyValueFlag
{
    // CliException for a value without '=' or with nothing before it.
    public static (string Key, string Value) Parse(string flag, int position, string text, string example)
    {
        ArgumentNullException.ThrowIfNull(text);
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0)
        {
            return (text[..eq], text[(eq + 1)..]);
        }

        var what = eq < 0 && NamePattern().IsMatch(text)
            ? $"{flag} {Quoted.Value(text)} has no '=VALUE'"
            : eq == 0
                ? $"{flag} number {position} has no name before its '=' (the value is not shown: it may be a secret)"
                : $"{flag} number {position} has no '=' (it is not shown: it may be a secret)";
        throw new CliException($"{what}: give NAME=VALUE, e.g. {flag} {example}");
    }

    [GeneratedRegex(@"\A[A-Z_][A-Z0-9_]{0,63}\z")]
    private static partial Regex NamePattern();
}
