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
}
