using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Registry;

public sealed class AuthChallengeTests
{
    [Fact]
    public void Parse_DockerHubBearer_ReadsRealmServiceScope()
    {
        var challenge = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/nginx:pull\""));

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge["realm"]);
        Assert.Equal("registry.docker.io", challenge["service"]);
        Assert.Equal("repository:library/nginx:pull", challenge["scope"]);
    }

    [Fact]
    public void Parse_CommaInsideQuotes_KeepsWholeValue()
    {
        var challenge = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"http://10.77.0.254:5002/token\",service=\"clab-registry\",scope=\"repository:a/b:push,pull\",error=\"insufficient_scope\""));

        Assert.Equal("repository:a/b:push,pull", challenge["scope"]);
        Assert.Equal("insufficient_scope", challenge["error"]);
        Assert.Equal(4, challenge.Parameters.Count);
    }

    [Fact]
    public void Parse_SeveralChallengesInOneValue_ReturnsEachWithItsParameters()
    {
        var challenges = AuthChallenge.Parse("Basic realm=\"lab, with comma\", Bearer realm=\"https://a.test/token\", service=\"s\"");

        Assert.Equal(2, challenges.Count);
        Assert.True(challenges[0].IsBasic);
        Assert.Equal("lab, with comma", challenges[0]["realm"]);
        Assert.Single(challenges[0].Parameters);
        Assert.True(challenges[1].IsBearer);
        Assert.Equal("https://a.test/token", challenges[1]["realm"]);
        Assert.Equal("s", challenges[1]["service"]);
    }

    [Fact]
    public void Parse_SeveralHeaderLines_ReturnsAllInOrder()
    {
        var challenges = AuthChallenge.Parse(["Negotiate", "Basic realm=\"x\"", "Bearer realm=\"https://r/t\""]);

        Assert.Equal(["Negotiate", "Basic", "Bearer"], challenges.Select(c => c.Scheme));
    }

    [Fact]
    public void Parse_EscapedQuotesAndBackslashes_AreUnescaped()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Basic realm=\"say \\\"hi\\\" \\\\ bye\""));

        Assert.Equal("say \"hi\" \\ bye", challenge["realm"]);
    }

    [Fact]
    public void Parse_AnyCaseAndSpacesAroundEquals_AreAccepted()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("bEaReR  REALM = \"https://r/t\" ,  Service=svc"));

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://r/t", challenge["realm"]);
        Assert.Equal("svc", challenge["service"]);
    }

    [Fact]
    public void Parse_UnquotedUrlValue_RunsToTheComma()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Bearer realm=https://auth.test:8443/token?x=1,service=registry"));

        Assert.Equal("https://auth.test:8443/token?x=1", challenge["realm"]);
        Assert.Equal("registry", challenge["service"]);
    }

    [Fact]
    public void Parse_Token68_IsKeptAndNextChallengeRead()
    {
        var challenges = AuthChallenge.Parse("Negotiate YII+/x==, Basic realm=\"r\"");

        Assert.Equal(2, challenges.Count);
        Assert.Equal("YII+/x==", challenges[0].Token68);
        Assert.Empty(challenges[0].Parameters);
        Assert.Equal("r", challenges[1]["realm"]);
    }

    [Fact]
    public void Parse_SchemeWithoutParameters_HasNone()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Basic"));

        Assert.True(challenge.IsBasic);
        Assert.Empty(challenge.Parameters);
        Assert.Null(challenge["realm"]);
    }

    [Fact]
    public void Parse_UnterminatedQuote_TakesTheRest()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Bearer realm=\"https://r/t, service=x"));

        Assert.Equal("https://r/t, service=x", challenge["realm"]);
    }

    [Fact]
    public void Parse_DuplicateParameter_FirstWins()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("Bearer realm=\"first\", realm=\"second\""));

        Assert.Equal("first", challenge["realm"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(",,,")]
    public void Parse_Empty_ReturnsNothing(string? header)
    {
        Assert.Empty(AuthChallenge.Parse(header));
    }

    [Theory]
    [InlineData("\"=\" ;; ==")]
    [InlineData("Bearer realm=")]
    [InlineData("Bearer =x, ,= \"")]
    [InlineData("@@@ Basic realm=\"x\"")]
    public void Parse_Junk_NeverThrows(string header)
    {
        var challenges = AuthChallenge.Parse(header);

        Assert.NotNull(challenges);
    }
}
