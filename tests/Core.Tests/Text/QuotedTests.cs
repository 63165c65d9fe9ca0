using Cluster.Core.Text;

namespace Cluster.Core.Tests.Text;

// How errors quote a refused value: visible as typed, on one line, bounded.
public sealed class QuotedTests
{
    [Theory]
    [InlineData("1.0", "'1.0'")]
    [InlineData("", "''")]
    [InlineData("1.0 rm", "'1.0 rm'")]
    [InlineData("1.0\n", "'1.0\\n'")]
    [InlineData("a\r\tb\u001b[31m", "'a\\r\\tb\\u001b[31m'")]
    // Line and paragraph separators end a line in some viewers and log tools; a bidi override
    // makes a terminal show the rest of the error reversed: neither may come through raw.
    [InlineData("1.0\u2028forged", "'1.0\\u2028forged'")]
    [InlineData("1.0\u2029forged", "'1.0\\u2029forged'")]
    [InlineData("v1\u202Edeppots", "'v1\\u202edeppots'")]
    public void Value_ShowsItOnOneLineInQuotes(string value, string expected)
    {
        Assert.Equal(expected, Quoted.Value(value));
    }

    [Fact]
    public void Value_Null_IsEmptyQuotes()
    {
        Assert.Equal("''", Quoted.Value(null));
    }

    [Fact]
    public void Value_Long_CutAtMaxCharsWithEllipsis()
    {
        Assert.Equal($"'{new string('x', Quoted.MaxChars)}...'", Quoted.Value(new string('x', 10_000)));
        Assert.Equal($"'{new string('x', Quoted.MaxChars)}'", Quoted.Value(new string('x', Quoted.MaxChars)));
    }

    [Fact]
    public void Value_LongWithACharacterAcrossTheCut_NeverKeepsHalfOfIt()
    {
        // An emoji is two UTF-16 chars: half of one is not a character, and prints as '?' or
        // fails to encode.
        var value = new string('x', Quoted.MaxChars - 1) + "\U0001F600" + "tail";

        Assert.Equal($"'{new string('x', Quoted.MaxChars - 1)}...'", Quoted.Value(value));
    }

    [Fact]
    public void Escape_EscapesLikeValueWithoutQuotesOrCut()
    {
        var text = "a\u001b[2K\rb\u202Ec\u2028d\U0001F600" + new string('x', 200);

        Assert.Equal("a\\u001b[2K\\rb\\u202ec\\u2028d\U0001F600" + new string('x', 200), Quoted.Escape(text));
        Assert.Equal(Quoted.Value("a\u001b\rb\u202E"), $"'{Quoted.Escape("a\u001b\rb\u202E")}'");
    }
}
