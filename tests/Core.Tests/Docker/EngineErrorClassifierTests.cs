using System.Net;
using Cluster.Core.Docker;
using Cluster.Core.Registry;

namespace Cluster.Core.Tests.Docker;

// The texts below are what engines 20.10+ and distribution 2.8 really answer (DOCKER-FACTS.md,
// and the lab's own runs); the lab smoke test proves the same classification end to end.
public sealed class EngineErrorClassifierTests
{
    [Theory]
    [InlineData("unauthorized: authentication required", RegistryFailureKind.Unauthorized)]
    [InlineData("no basic auth credentials", RegistryFailureKind.Unauthorized)]
    [InlineData("login attempt to http://10.77.0.254:5000/v2/ failed with status: 401 Unauthorized", RegistryFailureKind.Unauthorized)]
    [InlineData("Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password", RegistryFailureKind.Unauthorized)]
    [InlineData("denied: requested access to the resource is denied", RegistryFailureKind.Forbidden)]
    [InlineData("manifest for 10.77.0.254:5000/app:nope not found: manifest unknown: manifest unknown", RegistryFailureKind.NotFound)]
    [InlineData("No such image: 10.77.0.254:5000/app:1.0", RegistryFailureKind.NotFound)]
    [InlineData("toomanyrequests: You have reached your pull rate limit.", RegistryFailureKind.RateLimited)]
    [InlineData("failed to register layer: write /var/lib/docker/x: no space left on device", RegistryFailureKind.NoSpace)]
    [InlineData("Get \"https://10.0.0.5:5000/v2/\": dial tcp 10.0.0.5:5000: connect: connection refused", RegistryFailureKind.Unreachable)]
    [InlineData("Get \"https://nope.invalid/v2/\": dial tcp: lookup nope.invalid: no such host", RegistryFailureKind.Unreachable)]
    [InlineData("Get \"https://10.0.0.5:5000/v2/\": x509: certificate signed by unknown authority", RegistryFailureKind.Tls)]
    [InlineData("Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client", RegistryFailureKind.Tls)]
    [InlineData("something else entirely", RegistryFailureKind.Other)]
    public void Classify_EngineText_GivesKind(string text, RegistryFailureKind expected)
    {
        Assert.Equal(expected, EngineErrorClassifier.Classify(text));
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, RegistryFailureKind.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound, RegistryFailureKind.NotFound)]
    [InlineData(HttpStatusCode.InternalServerError, RegistryFailureKind.Other)]
    public void Classify_NoRecognisedText_FallsBackToStatus(HttpStatusCode status, RegistryFailureKind expected)
    {
        Assert.Equal(expected, EngineErrorClassifier.Classify("", status));
    }

    [Fact]
    public void MessageOf_JsonBody_ReturnsMessageField()
    {
        var e = new global::Docker.DotNet.DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"unauthorized: authentication required\"}\n");

        Assert.Equal("unauthorized: authentication required", EngineErrorClassifier.MessageOf(e));
        Assert.Equal(RegistryFailureKind.Unauthorized, EngineErrorClassifier.ToOperationException("pull", "x", e).Kind);
    }
}
