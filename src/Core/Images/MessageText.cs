using System.Globalization;
using System.Text;

namespace Cluster.Core.Images;

// Renders user input inside error messages: control characters and quotes are escaped so a
// message is always one printable line, and very long input is cut so a hostile reference
// cannot blow up logs.
internal static class MessageText
{
    private const int MaxQuotedLength = 200;

    public static string Quote(ReadOnlySpan<char> s)
    {
        var builder = new StringBuilder(Math.Min(s.Length, MaxQuotedLength) + 16);
        ReadOnlySpan<char> shown = s.Length > MaxQuotedLength ? s[..MaxQuotedLength] : s;
        foreach (char c in shown)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        if (s.Length > MaxQuotedLength)
        {
            builder.Append(CultureInfo.InvariantCulture, $"... ({s.Length} characters)");
        }

        return builder.ToString();
    }

    public static string DescribeChar(char c) => c switch
    {
        ' ' => "' ' (space)",
        '\'' => "\"'\"",
        _ when char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c) =>
            string.Create(CultureInfo.InvariantCulture, $"U+{(int)c:X4}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"'{c}'"),
    };
}
