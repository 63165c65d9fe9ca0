using System.Text;
using Cluster.BuildServer.Git;
using Cluster.BuildServer.Jobs;
using Cluster.Testing;

namespace Cluster.BuildServer.Tests.Git;

// Auto-Sync's branch-head read (`git ls-remote` through GitFetcher.HeadAsync) against a real Git
// server started here on loopback (git daemon; git http-backend behind basic auth).
public sealed class GitHeadTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("head-test-").FullName;
    private GitServer _server = null!;

    public async Task InitializeAsync() => _server = await GitServer.StartAsync("127.0.0.1");

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task HeadAsync_Branch_FollowsEachNewCommitAndDefaultBranchIsHead()
    {
        var first = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n"), ("version", "1")));
        var fetcher = new GitFetcher();

        Assert.Equal(first, await fetcher.HeadAsync(_server.GitUrl("app"), "main", Dir("a"), null, CancellationToken.None));
        var second = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n"), ("version", "2")));

        Assert.Equal(second, await fetcher.HeadAsync(_server.GitUrl("app"), "main", Dir("b"), null, CancellationToken.None));
        Assert.Equal(second, await fetcher.HeadAsync(_server.GitUrl("app"), "refs/heads/main", Dir("c"), null, CancellationToken.None));
        Assert.Equal(second, await fetcher.HeadAsync(_server.GitUrl("app"), "", Dir("d"), null, CancellationToken.None));
    }

    [Fact]
    public async Task HeadAsync_TagCommitOrMissingBranch_RefusedSayingWhy()
    {
        var commit = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")), tag: "v1");
        var fetcher = new GitFetcher();

        var tag = await Assert.ThrowsAsync<BuildFailure>(() => fetcher.HeadAsync(_server.GitUrl("app"), "v1", Dir("t"), null, CancellationToken.None));
        var sha = await Assert.ThrowsAsync<BuildFailure>(() => fetcher.HeadAsync(_server.GitUrl("app"), commit, Dir("s"), null, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<BuildFailure>(() => fetcher.HeadAsync(_server.GitUrl("app"), "nope", Dir("m"), null, CancellationToken.None));

        Assert.Contains("is a tag", tag.Message, StringComparison.Ordinal);
        Assert.Contains("commit", sha.Message, StringComparison.Ordinal);
        Assert.Contains("no branch 'nope'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadAsync_PrivateOverHttp_TokenAsBasicAuthHeaderNeverInTheMessage()
    {
        var token = "git-token-" + Guid.NewGuid().ToString("N");
        _server.HttpToken = token;
        var commit = await _server.CommitAsync("private", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));
        var fetcher = new GitFetcher();

        var wrong = await Assert.ThrowsAsync<BuildFailure>(() => fetcher.HeadAsync(_server.HttpUrl("private"), "main", Dir("w"), new GitAuth("git-user", "not-the-token"), CancellationToken.None));
        var head = await fetcher.HeadAsync(_server.HttpUrl("private"), "main", Dir("ok"), new GitAuth("git-user", token), CancellationToken.None);

        Assert.Equal(commit, head);
        Assert.Contains("refused", wrong.Message, StringComparison.Ordinal);
        Assert.StartsWith("cannot read the branch head of " + _server.HttpUrl("private"), wrong.Message, StringComparison.Ordinal);
        Assert.Contains("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"git-user:{token}")), _server.Authorizations);
        Assert.DoesNotContain(token, wrong.Message, StringComparison.Ordinal);
    }

    private string Dir(string name) => Path.Combine(_work, name);
}
