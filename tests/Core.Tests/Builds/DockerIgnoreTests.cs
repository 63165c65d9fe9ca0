using Cluster.Core.Builds;

namespace Cluster.Core.Tests.Builds;

public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("*.log", "a.log", true)]
    [InlineData("*.log", "dir/a.log", false)]
    [InlineData("**/*.log", "dir/sub/a.log", true)]
    [InlineData("**/*.log", "a.log", true)]
    [InlineData("node_modules", "node_modules/x/y.js", true)]
    [InlineData("/secret.txt", "secret.txt", true)]
    [InlineData("./build/", "build/out.bin", true)]
    [InlineData("te?t", "test", true)]
    [InlineData("te?t", "te/t", false)]
    [InlineData("[a-c].txt", "b.txt", true)]
    [InlineData("[a-c].txt", "d.txt", false)]
    [InlineData("# comment", "# comment", false)]
    public void IsExcluded_OnePattern_FollowsDockerRules(string pattern, string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));

    [Fact]
    public void IsExcluded_LaterExceptionReincludes_LastMatchDecides()
    {
        var ignore = DockerIgnore.Parse("*.md\n!README.md\nREADME-secret*\n");

        Assert.True(ignore.IsExcluded("CHANGES.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.True(ignore.IsExcluded("README-secret.md"));
        Assert.False(ignore.IsExcluded("main.go"));
        Assert.True(ignore.HasExceptions);
    }
}
