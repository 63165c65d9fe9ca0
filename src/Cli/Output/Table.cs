namespace Cluster.Cli.Output;

// Plain aligned columns for text output; scripts use -o json instead.
internal static class Table
{
    public static void Write(TextWriter writer, string[] headers, IEnumerable<string[]> rows)
    {
        // Cells often hold text from agents and registries: one line each, no control characters.
        var all = rows.Prepend(headers).Select(r => r.Select(cell => TerminalText.Clean(cell, singleLine: true)).ToArray()).ToList();
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            writer.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
