using System.Text;
using System.Text.RegularExpressions;

namespace Cluster.Leader.Credentials.Helpers;

// Makes a helper's own words (its stderr, or its stdout when it fails) safe to store and show:
// the values of its sealed environment and the tokens we know are replaced, then anything that
// looks like a token (32 or more base64 characters in a row: an AWS secret key, each part of a JWT),
// control characters go, and the text is capped to its start and its end. The helper may echo any of these.
public static partial class SecretRedactor
{
    public const string Mark = "[redacted]";

    public const int MaxChars = 2000;

    // Values shorter than this are not secrets worth the damage of replacing them everywhere
    // ("1", "us"); real keys and tokens are far longer.
    private const int MinSecretLength = 4;

    public static string Redact(string? text, IEnumerable<string?> secrets)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var result = text;
        foreach (var secret in secrets.Where(s => s is { Length: >= MinSecretLength }).OrderByDescending(s => s!.Length))
        {
            result = result.Replace(secret!, Mark, StringComparison.Ordinal);
        }

        result = TokenLike().Replace(result, Mark);
        var clean = new StringBuilder(result.Length);
        foreach (var c in result)
        {
            clean.Append(c is '\n' or '\t' ? ' ' : char.IsControl(c) ? '?' : c);
        }

        // Over the cap: its start and its end (a helper prints its error last), cut after the
        // secrets are replaced, so no piece of one survives.
        var single = MultipleSpaces().Replace(clean.ToString(), " ").Trim();
        return single.Length > MaxChars ? $"{single[..HeadChars].TrimEnd()} … {single[^(MaxChars - HeadChars - 3)..].TrimStart()}" : single;
    }

    private const int HeadChars = MaxChars / 4;

    [GeneratedRegex("[A-Za-z0-9+/=_-]{32,}")]
    private static partial Regex TokenLike();

    [GeneratedRegex(" {2,}")]
    private static partial Regex MultipleSpaces();
}
