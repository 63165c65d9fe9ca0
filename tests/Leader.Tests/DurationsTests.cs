using Cluster.Core.Text;

namespace Cluster.Leader.Tests;

public sealed class DurationsTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("90", 90)]
    [InlineData("1h30m", 5400)]
    public void TryParse_OperatorForms_Seconds(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("s")]
    public void TryParse_Garbage_False(string text) => Assert.False(Durations.TryParse(text, out _));
}
