using System.Security.Cryptography;
using System.Text;
using Cluster.Leader.Webhooks;

namespace Cluster.Leader.Tests.Webhooks;

public sealed class WebhookVerifierTests
{
    private const string Secret = "s3cr3t-webhook-test-value";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"events\":[]}");

    private static string? Refusal(string kind, Dictionary<string, string>? headers = null, Dictionary<string, string>? query = null, byte[]? body = null) =>
        WebhookVerifier.Refusal(kind, Secret, h => headers?.GetValueOrDefault(h), q => query?.GetValueOrDefault(q), body ?? Body);

    [Fact]
    public void Registry_BearerSecret_AcceptedAndWrongOrMissingRefused()
    {
        Assert.Null(Refusal(WebhookKinds.Registry, new() { ["Authorization"] = "Bearer " + Secret }));
        Assert.Equal("wrong Authorization bearer secret", Refusal(WebhookKinds.Registry, new() { ["Authorization"] = "Bearer " + Secret + "x" }));
        Assert.StartsWith("no Authorization header", Refusal(WebhookKinds.Registry), StringComparison.Ordinal);
    }

    [Fact]
    public void GitHub_HmacOfBody_AcceptedAndOtherBodyRefused()
    {
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Body));

        Assert.Null(Refusal(WebhookKinds.GitHub, new() { ["X-Hub-Signature-256"] = signature }));
        Assert.Equal("bad X-Hub-Signature-256 signature", Refusal(WebhookKinds.GitHub, new() { ["X-Hub-Signature-256"] = signature }, body: Encoding.UTF8.GetBytes("{\"forged\":1}")));
    }

    [Fact]
    public void GitLab_Token_AcceptedAndWrongRefused()
    {
        Assert.Null(Refusal(WebhookKinds.GitLab, new() { ["X-Gitlab-Token"] = Secret }));
        Assert.Equal("wrong X-Gitlab-Token", Refusal(WebhookKinds.GitLab, new() { ["X-Gitlab-Token"] = "guess" }));
    }

    [Fact]
    public void DockerHub_QueryToken_AcceptedAndMissingRefused()
    {
        Assert.Null(Refusal(WebhookKinds.DockerHub, query: new() { ["token"] = Secret }));
        Assert.StartsWith("no ?token=", Refusal(WebhookKinds.DockerHub), StringComparison.Ordinal);
    }

    [Fact]
    public void Refusal_NeverEchoesWhatWasSent()
    {
        var sent = "Bearer attacker-chosen-value";

        Assert.DoesNotContain("attacker", Refusal(WebhookKinds.Registry, new() { ["Authorization"] = sent }), StringComparison.Ordinal);
    }
}
