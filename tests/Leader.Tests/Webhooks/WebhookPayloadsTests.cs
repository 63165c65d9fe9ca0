using System.Text;
using Cluster.Leader.Webhooks;

namespace Cluster.Leader.Tests.Webhooks;

public sealed class WebhookPayloadsTests
{
    private static IReadOnlyList<WebhookHint>? Hints(string kind, string json, string? gitHubEvent = null) =>
        WebhookPayloads.Hints(kind, h => h == "X-GitHub-Event" ? gitHubEvent : null, Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Registry_ManifestPushByTag_HintsRepositoryAndTag()
    {
        var hints = Hints(WebhookKinds.Registry, """
            {"events":[{"action":"push","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","repository":"team/web","tag":"v1","digest":"sha256:1111"}}]}
            """);

        Assert.Equal(new WebhookHint("team/web", "v1"), Assert.Single(hints!));
    }

    [Fact]
    public void Registry_PullsAndBlobPushes_AskForNothing()
    {
        // Our own checks make the registry send pull events: they must never cause checks.
        Assert.Null(Hints(WebhookKinds.Registry, """
            {"events":[{"action":"pull","target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","repository":"team/web","tag":"v1"}},
                       {"action":"push","target":{"mediaType":"application/octet-stream","repository":"team/web"}}]}
            """));
        Assert.Null(Hints(WebhookKinds.Registry, "not json"));
    }

    [Fact]
    public void DockerHub_OfficialImage_NamedUnderLibrary()
    {
        Assert.Equal(new WebhookHint("library/nginx", "latest"), Assert.Single(Hints(WebhookKinds.DockerHub, """{"push_data":{"tag":"latest"},"repository":{"repo_name":"nginx"}}""")!));
    }

    [Fact]
    public void GitHub_PackagePublished_HintsOwnerNameAndTag_PingAsksForNothing()
    {
        Assert.Equal(new WebhookHint("acme/web", "1.2"), Assert.Single(Hints(WebhookKinds.GitHub, """
            {"action":"published","package":{"name":"web","owner":{"login":"Acme"},"package_version":{"container_metadata":{"tag":{"name":"1.2"}}}}}
            """, "package")!));
        Assert.Null(Hints(WebhookKinds.GitHub, """{"zen":"x"}""", "ping"));
    }

    [Fact]
    public void GitHub_PushToBranch_HintsItsCloneUrlsAndBranch_TagPushAndDeletionAskForNothing()
    {
        var hints = Hints(WebhookKinds.GitHub, """
            {"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111",
             "repository":{"clone_url":"https://github.com/acme/web.git","ssh_url":"git@github.com:acme/web.git","git_url":"git://github.com/acme/web.git","html_url":"https://github.com/acme/web"}}
            """, "push")!;

        Assert.All(hints, h => Assert.Equal(("main", true), (h.Tag, h.Git)));
        Assert.Equal(["https://github.com/acme/web.git", "git@github.com:acme/web.git", "git://github.com/acme/web.git", "https://github.com/acme/web"], hints.Select(h => h.Repository));
        Assert.Null(Hints(WebhookKinds.GitHub, """{"ref":"refs/tags/v1","repository":{"clone_url":"https://github.com/acme/web.git"}}""", "push"));
        Assert.Null(Hints(WebhookKinds.GitHub, """{"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","repository":{"clone_url":"https://github.com/acme/web.git"}}""", "push"));
    }

    [Fact]
    public void GitLab_PushHook_HintsProjectUrlsAndBranch_OtherHooksCheckEverything()
    {
        var hints = Hints(WebhookKinds.GitLab, """
            {"object_kind":"push","ref":"refs/heads/dev","after":"2222222222222222222222222222222222222222",
             "project":{"git_http_url":"https://gitlab.example.com/acme/api.git","git_ssh_url":"git@gitlab.example.com:acme/api.git","web_url":"https://gitlab.example.com/acme/api"}}
            """)!;

        Assert.Equal(3, hints.Count);
        Assert.All(hints, h => Assert.Equal(("dev", true), (h.Tag, h.Git)));
        Assert.Empty(Hints(WebhookKinds.GitLab, """{"object_kind":"pipeline"}""")!);
    }
}
