using Cluster.Leader.Apps;
using Cluster.Leader.Credentials.Helpers;
using Cluster.Leader.Operations;

namespace Cluster.Leader.Tests.Apps;

// A refused flag value is quoted in the error (what was refused) next to what a valid one looks
// like, so the admin can fix it without the docs. These used to say only "--build-timeout must be
// between 5s and 6h", "--target 'x' is not a stage name", "--refresh-every is over 30 days".
public sealed class RefusedValueTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(6 * 3600 + 1)]
    public void BuildTimeout_OutOfRange_NamesTheValueAndTheRange(int seconds)
    {
        var git = Assert.Throws<OperationException>(() => GitSource.Validate(Git() with { BuildTimeoutSeconds = seconds }));
        var dir = Assert.Throws<OperationException>(() => DirSource.Validate(Dir() with { BuildTimeoutSeconds = seconds }));

        var expected = $"--build-timeout {seconds}s is out of range: give between 5s and 6h, e.g. 90s, 20m or 1h (leave it out for the cluster's default)";
        Assert.Equal((OperationError.InvalidArgument, expected), (git.Error, git.Message));
        Assert.Equal((OperationError.InvalidArgument, expected), (dir.Error, dir.Message));
    }

    [Fact]
    public void Target_NotAStageName_QuotesItAndSaysWhatAStageNameIs()
    {
        var git = Assert.Throws<OperationException>(() => GitSource.Validate(Git() with { TargetStage = "build stage\n" }));
        var dir = Assert.Throws<OperationException>(() => DirSource.Validate(Dir() with { TargetStage = "build stage\n" }));

        var expected = "--target 'build stage\\n' is not a stage name: give the name after AS in a FROM line of the Dockerfile (letters, digits, '.', '_' and '-', at most 128, starting with a letter or digit)";
        Assert.Equal(expected, git.Message);
        Assert.Equal(expected, dir.Message);
    }

    [Fact]
    public void Ref_NotARef_QuotesItAndGivesExamples()
    {
        var e = Assert.Throws<OperationException>(() => GitSource.Validate(Git() with { GitRef = "-upload-pack=x" }));

        Assert.Equal(OperationError.InvalidArgument, e.Error);
        Assert.StartsWith("--ref '-upload-pack=x' is not a branch, tag or commit SHA: use e.g. main, v1.2.0 or a full 40-digit SHA", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefreshEvery_OverThirtyDays_NamesTheValue()
    {
        var e = Assert.Throws<OperationException>(() => HelperCredentials.ValidRefreshEvery(TimeSpan.FromDays(31)));

        Assert.Equal(OperationError.InvalidArgument, e.Error);
        Assert.StartsWith("--refresh-every 744h is over 30 days;", e.Message, StringComparison.Ordinal);
    }

    private static AppSpec Git() => new("web", null, null, 1, [], new Dictionary<string, string>(), [], false, "https://git.example.com/acme/web.git", "main", null);

    private static AppSpec Dir() => new("web", null, null, 1, [], new Dictionary<string, string>(), [], false, null, null, null) { FromDir = true };
}
