using System.Globalization;
using System.Text;

namespace Cluster.Core.Text;

// A value the user gave, as an error that refuses it quotes it: in single quotes, so an empty
// value or one with spaces is seen as it is; control characters written as \n, \r, \t or \uXXXX,
// and so are format characters (bidi overrides, which make a terminal show the rest reversed)
// and the line and paragraph separators U+2028/U+2029 (a refused tag must neither break the
// one-line error nor forge a line of a log); at most MaxChars characters, never half of a
// surrogate pair, then "..." (a refused megabyte is not echoed whole). Never for secrets: those
// are named, not quoted.
public static class Quoted
{
    public const int MaxChars = 80;

    public static string Value(string? value)
    {
        value ??= "";
        var text = new StringBuilder(Math.Min(value.Length, MaxChars) + 5).Append('\'');
        var shown = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
            if (shown + (pair ? 2 : 1) > MaxChars)
            {
                return text.Append("...'").ToString();
            }

            if (pair)
            {
                text.Append(c).Append(value[++i]);
                shown += 2;
                continue;
            }

            AppendEscaped(text, c);
            shown++;
        }

        return text.Append('\'').ToString();
    }

    // The text with its characters escaped as Value escapes them, without quotes and uncut: for
    // a message that already quotes what the user typed (System.CommandLine's parse errors).
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(text[i]).Append(text[++i]);
                continue;
            }

            AppendEscaped(escaped, text[i]);
        }

        return escaped.ToString();
    }

    // One character that is not half of a surrogate pair: \n, \r, \t, \uXXXX for control, format,
    // line and paragraph separator characters and lone surrogates, itself otherwise.
    private static void AppendEscaped(StringBuilder text, char c) =>
        text.Append(c switch
        {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ when char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
            _ => c.ToString(),
        });
}
