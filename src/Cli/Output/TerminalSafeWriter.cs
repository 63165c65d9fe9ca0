using System.Text;

namespace Cluster.Cli.Output;

// A TextWriter that drops what TerminalText does not allow, whatever a command writes through
// it. Every other Write overload of TextWriter ends in these.
internal sealed class TerminalSafeWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (TerminalText.IsAllowed(value, singleLine: false))
        {
            inner.Write(value);
        }
    }

    public override void Write(string? value) => inner.Write(TerminalText.Clean(value));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Flush();
        }

        base.Dispose(disposing);
    }
}
