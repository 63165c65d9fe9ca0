using Cluster.NodeAgent.Hosting;
using Cluster.NodeJoin;
using Cluster.NodeAgent.Session;
using Cluster.NodeAgent.Tests.Support;

namespace Cluster.NodeAgent.Tests.Identity;

public sealed class JoinTokenSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("agent-token-").FullName;

    [Fact]
    public void Current_TokenFileReplaced_UsesTheNewTokenWithoutRestart()
    {
        using var first = new TestPki();
        using var second = new TestPki();
        var file = Path.Combine(_dir, "join.token");
        File.WriteAllText(file, first.JoinToken + "\n");
        var source = new JoinTokenSource(Options(first.JoinToken, file));
        Assert.Equal(first.Fingerprint, source.Current()!.CaFingerprint);

        File.WriteAllText(file, second.JoinToken + "\n");

        Assert.Equal(second.Fingerprint, source.Current()!.CaFingerprint);
    }

    [Fact]
    public void Current_TokenFileDeletedAfterJoin_NoToken()
    {
        // install.sh deletes the token file once the node has joined: from then on the node has
        // no join token, in memory or on disk, and renews with its certificate.
        using var pki = new TestPki();
        var source = new JoinTokenSource(Options(pki.JoinToken, Path.Combine(_dir, "missing")));

        Assert.Null(source.Current());
    }

    [Fact]
    public void Current_MalformedToken_TokenInvalidPointingAtJoinTokenWithoutEchoingIt()
    {
        var source = new JoinTokenSource(Options("CLSTR1-JOIN-test-only", null));

        var failure = Assert.Throws<SessionFailure>(source.Current);

        Assert.Equal(SessionFailureKind.TokenInvalid, failure.Kind);
        Assert.Contains("join.token", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("test-only", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Current_AdminToken_RefusedAsTheWrongKind()
    {
        using var pki = new TestPki();
        var admin = pki.JoinToken.Replace("-JOIN-", "-ADMIN-", StringComparison.Ordinal);

        var failure = Assert.Throws<SessionFailure>(new JoinTokenSource(Options(admin, null)).Current);

        Assert.Contains("admin token", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('5', 64), failure.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AgentOptions Options(string token, string? file) => new()
    {
        Leader = "127.0.0.1:7443",
        JoinToken = token,
        JoinTokenFile = file,
        StateDir = _dir,
        DockerHost = new Uri("unix:///x.sock"),
    };
}
