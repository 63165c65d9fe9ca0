using System.Text;

namespace Cluster.Cli.Output;

// Text that came from agents, registries or engines (hostnames, check messages, task errors,
// logs) is printed to a terminal: control characters in it could move the cursor, recolor,
// erase or forge lines, and bidi overrides could reorder what the admin reads. This is the one
// place that decides what may reach the terminal; ClusterCtl wraps stdout and stderr in
// TerminalSafeWriter, and Table cleans every cell, so no command can forget it. JSON output
// escapes control characters anyway and passes through unchanged.
internal static class TerminalText
{
    // Line breaks and tabs are kept where the CLI lays out its own output; cells of a table
    // must stay on one line, so there they become spaces.
    public static string Clean(string? text, bool singleLine = false)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        StringBuilder? clean = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var keep = IsAllowed(c, singleLine);
            if (keep && clean is null)
            {
                continue;
            }

            clean ??= new StringBuilder(text.Length).Append(text, 0, i);
            if (keep)
            {
                clean.Append(c);
            }
            else if (singleLine && c is '\n' or '\t' or '\r')
            {
                clean.Append(' ');
            }
        }

        return clean?.ToString() ?? text;
    }

    public static bool IsAllowed(char c, bool singleLine) => c switch
    {
        '\n' or '\t' => !singleLine,
        _ when char.IsControl(c) => false, // C0 (ESC, CR, BEL, backspace...), DEL, C1 (CSI...)
        >= '\u202A' and <= '\u202E' => false, // bidi embeddings and overrides
        >= '\u2066' and <= '\u2069' => false, // bidi isolates
        _ => true,
    };
}
