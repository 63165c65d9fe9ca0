using Cluster.Core.Git;

namespace Cluster.Core.Tests.Git;

// Every spelling git accepts reduces to one remote, and a credential's prefix serves a URL in
// any spelling of either (the rule behind `clusterctl git add --url`).
public sealed class GitRemoteTests
{
    [Theory]
    [InlineData("git@github.com:acme/web.git", "git", "github.com", 22, "acme/web.git")]
    [InlineData("git@GitHub.com:/acme/web.git", "git", "github.com", 22, "acme/web.git")]
    [InlineData("ssh://git@github.com/acme/web.git", "git", "github.com", 22, "acme/web.git")]
    [InlineData("ssh://git@github.com:22/~/acme/web.git", "git", "github.com", 22, "acme/web.git")]
    [InlineData("git+ssh://git@github.com/acme/web.git", "git", "github.com", 22, "acme/web.git")]
    [InlineData("ssh+git://github.com/acme/web.git", "", "github.com", 22, "acme/web.git")]
    [InlineData("github.com:acme/web.git", "", "github.com", 22, "acme/web.git")]
    [InlineData("ssh://git@git.example.com:2222/org/x", "git", "git.example.com", 2222, "org/x")]
    [InlineData("[git@git.example.com:2222]:org/x", "git", "git.example.com", 2222, "org/x")]
    [InlineData("git@[2001:db8::1]:org/x", "git", "2001:db8::1", 22, "org/x")]
    [InlineData("ssh://git@[2001:db8::1]:2222/org/x", "git", "2001:db8::1", 2222, "org/x")]
    public void Parse_SshSpellings_OneRemote(string url, string user, string host, int port, string path)
    {
        var remote = GitRemote.Parse(url);

        Assert.Equal(GitTransport.Ssh, remote.Transport);
        Assert.Equal((user, host, port, path), (remote.User, remote.Host, remote.Port, remote.Path));
    }

    [Theory]
    [InlineData("https://github.com/acme/web.git", GitTransport.Http, 443, "/acme/web.git")]
    [InlineData("https://GITHUB.com:443/acme/web.git", GitTransport.Http, 443, "/acme/web.git")]
    [InlineData("http://10.0.0.5:3000/acme/web.git", GitTransport.Http, 3000, "/acme/web.git")]
    [InlineData("git://10.0.0.5/acme/web.git", GitTransport.Daemon, 9418, "/acme/web.git")]
    public void Parse_OtherTransports_KeepSchemeAndDefaultPort(string url, GitTransport transport, int port, string path)
    {
        var remote = GitRemote.Parse(url);

        Assert.Equal((transport, port, path), (remote.Transport, remote.Port, remote.Path));
    }

    [Theory]
    [InlineData("git@github.com:acme/", "ssh://git@github.com/acme/web.git")]
    [InlineData("ssh://git@github.com/acme/", "git@github.com:acme/web.git")]
    [InlineData("ssh://git@github.com:22/acme", "git@GITHUB.COM:/acme/web.git")]
    [InlineData("github.com:acme/", "git@github.com:acme/web.git")]
    [InlineData("ssh://git@host:2222/org/", "[git@host:2222]:org/x.git")]
    [InlineData("[git@host:2222]:org/", "ssh://git@host:2222/~/org/x.git")]
    [InlineData("https://github.com/acme/", "https://github.com/acme/web.git")]
    [InlineData("https://GitHub.com:443/acme/", "https://github.com/acme/web.git")]
    public void IsUnder_SameRepositoryAnySpelling_Serves(string prefix, string url)
    {
        Assert.True(GitRemote.Parse(url).IsUnder(GitRemote.Parse(prefix)));
    }

    [Theory]
    [InlineData("git@github.com:acme/", "git@github.com:other/web.git")]
    [InlineData("git@github.com:acme/", "deploy@github.com:acme/web.git")]
    [InlineData("git@github.com:acme/", "ssh://git@github.com:2222/acme/web.git")]
    [InlineData("git@github.com:acme/", "git@gitlab.com:acme/web.git")]
    [InlineData("git@github.com:acme/", "https://github.com/acme/web.git")]
    [InlineData("https://github.com/acme/", "git@github.com:acme/web.git")]
    [InlineData("https://github.com/acme/", "http://github.com/acme/web.git")]
    [InlineData("ssh://host:2222/org/", "[git@host:2223]:org/x.git")]
    public void IsUnder_OtherHostUserPortPathOrTransport_DoesNotServe(string prefix, string url)
    {
        Assert.False(GitRemote.Parse(url).IsUnder(GitRemote.Parse(prefix)));
    }

    [Theory]
    [InlineData("ssh://git:secret@github.com/acme/x.git", "must not hold a password")]
    [InlineData("https://user:token@github.com/acme/x.git", "must not hold a password or token")]
    [InlineData("https://user@github.com/acme/x.git", "must not hold a user or token")]
    [InlineData("file:///srv/git/x.git", "not a Git transport")]
    [InlineData("/srv/git/x.git", "not a remote Git URL")]
    [InlineData("-oProxyCommand=evil:x", "must not start with '-'")]
    [InlineData("git@-oProxyCommand=x:org/x", "not a host name")]
    [InlineData("ssh://git@host:99999/x", "not a port")]
    [InlineData("git@host name:org/x", "spaces")]
    public void Parse_Refused_SaysWhyWithoutTheSecret(string url, string why)
    {
        var e = Assert.Throws<FormatException>(() => GitRemote.Parse(url));

        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("token@", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostKeyName_Port22AndOther_AsSshLooksThemUp()
    {
        Assert.Equal("github.com", GitRemote.Parse("git@github.com:a/b").HostKeyName);
        Assert.Equal("[git.example.com]:2222", GitRemote.Parse("ssh://git@git.example.com:2222/a/b").HostKeyName);
    }
}
