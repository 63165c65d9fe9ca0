using System.Text;
using Cluster.BuildServer.Git;
using Cluster.BuildServer.Jobs;
using Cluster.Testing;

namespace Cluster.BuildServer.Tests.Git;

// Against a real Git server started here on loopback: git daemon for public repositories, git
// http-backend behind basic auth for a private one.
public sealed class GitFetcherTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("fetch-test-").FullName;
    private readonly List<string> _lines = [];
    private GitServer _server = null!;

    public async Task InitializeAsync() => _server = await GitServer.StartAsync("127.0.0.1");

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Fetch_BranchTagAndSha_ChecksOutExactlyThatCommitWithoutGitDir()
    {
        var first = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n"), ("version", "1")), tag: "v1");
        var second = await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n"), ("version", "2")));
        var fetcher = new GitFetcher();

        var head = await FetchAsync(fetcher, _server.GitUrl("app"), "", "head");
        var branch = await FetchAsync(fetcher, _server.GitUrl("app"), "main", "branch");
        var tag = await FetchAsync(fetcher, _server.GitUrl("app"), "v1", "tag");
        var sha = await FetchAsync(fetcher, _server.GitUrl("app"), first, "sha");

        Assert.Equal(second, head.Commit);
        Assert.Equal(second, branch.Commit);
        Assert.Equal("2", File.ReadAllText(Path.Combine(branch.Tree, "version")));
        Assert.Equal(first, tag.Commit);
        Assert.Equal("1", File.ReadAllText(Path.Combine(tag.Tree, "version")));
        Assert.Equal(first, sha.Commit);
        Assert.False(Directory.Exists(Path.Combine(branch.Tree, ".git")));
    }

    [Fact]
    public async Task Fetch_UnknownRef_FailsAtFetchNamingTheRef()
    {
        await _server.CommitAsync("app", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));

        var e = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync(new GitFetcher(), _server.GitUrl("app"), "no-such-branch", "x"));

        Assert.Equal("fetch", e.Stage);
        Assert.Contains("no-such-branch", e.Message, StringComparison.Ordinal);
        Assert.Contains("--ref", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_PrivateOverHttp_TokenGoesAsBasicAuthHeaderAndMissingOrWrongTokenSaysWhatToDo()
    {
        var token = "git-token-" + Guid.NewGuid().ToString("N");
        _server.HttpToken = token;
        var commit = await _server.CommitAsync("private", "main", GitServer.Files(("Dockerfile", "FROM scratch\n")));
        var fetcher = new GitFetcher();

        var none = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync(fetcher, _server.HttpUrl("private"), "main", "none"));
        var wrong = await Assert.ThrowsAsync<BuildFailure>(() => FetchAsync(fetcher, _server.HttpUrl("private"), "main", "wrong", new GitAuth("git-user", "not-the-token")));
        var ok = await FetchAsync(fetcher, _server.HttpUrl("private"), "main", "ok", new GitAuth("git-user", token));

        Assert.Equal(commit, ok.Commit);
        Assert.Contains("clusterctl git add", none.Message, StringComparison.Ordinal);
        Assert.Contains("refused", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"git-user:{token}")), _server.Authorizations);
        Assert.DoesNotContain(token, none.Message + wrong.Message + string.Join("\n", _lines), StringComparison.Ordinal);
    }

    private async Task<(string Commit, string Tree)> FetchAsync(GitFetcher fetcher, string url, string gitRef, string name, GitAuth? auth = null)
    {
        var job = Path.Combine(_work, name);
        var tree = Path.Combine(job, "src");
        var commit = await fetcher.FetchAsync(url, gitRef, job, tree, auth, _lines.Add, CancellationToken.None);
        return (commit, tree);
    }
}
