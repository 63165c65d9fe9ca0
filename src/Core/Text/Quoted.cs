using System.Globalization;
using System.Text;

namespace Cluster.Core.Text;

// A value the user gave, as an error that refuses it quotes it: in single quotes, so an empty
// value or one with spaces is seen as it is; control characters written as \n, \r, \t or \uXXXX
// (a refused tag holding a newline must neither break the one-line error nor forge a line of a
// log); at most MaxChars characters, then "..." (a refused megabyte is not echoed whole). Never
// for secrets: those are named, not quoted.
public static class Quoted
{
    public const int MaxChars = 80;

    public static string Value(string? value)
    {
        value ??= "";
        var text = new StringBuilder(Math.Min(value.Length, MaxChars) + 5).Append('\'');
        var shown = 0;
        foreach (var c in value)
        {
            if (shown == MaxChars)
            {
                return text.Append("...'").ToString();
            }

            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
            shown++;
        }

        return text.Append('\'').ToString();
    }
}
