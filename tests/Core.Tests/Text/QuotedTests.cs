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
}
