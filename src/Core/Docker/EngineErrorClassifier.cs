using System.Net;
using System.Text.Json;
using Cluster.Core.Registry;
using Docker.DotNet;

namespace Cluster.Core.Docker;

// Maps what a Docker engine reports into a RegistryFailureKind.
//
// The engine API exposes registry failures only as text: in a DockerApiException body
// ({"message": "..."}, often with status 500 even for a 401 from the registry) or as the
// errorDetail of a progress stream that otherwise "succeeds". The texts below are the stable
// error codes of the distribution spec ("unauthorized", "denied", "manifest unknown",
// "toomanyrequests") and Go's network errors, which engines 20.10 to 28 print the same way.
// Keep this the ONE place that reads engine error text.
public static class EngineErrorClassifier
{
    private static readonly (RegistryFailureKind Kind, string[] Markers)[] Rules =
    [
        (RegistryFailureKind.NoSpace, ["no space left on device"]),
        (RegistryFailureKind.Tls, ["x509:", "tls:", "certificate signed by unknown authority", "server gave http response to https client"]),
        (RegistryFailureKind.Unauthorized, ["unauthorized", "authentication required", "no basic auth credentials", "401 unauthorized", "incorrect username or password"]),
        (RegistryFailureKind.RateLimited, ["toomanyrequests", "429 too many requests", "rate limit"]),
        (RegistryFailureKind.NotFound, ["manifest unknown", "name unknown", "blob unknown", "not found", "no such image", "does not exist"]),
        (RegistryFailureKind.Forbidden, ["denied", "insufficient_scope", "403 forbidden", "forbidden"]),
        (RegistryFailureKind.Unreachable, ["connection refused", "no such host", "i/o timeout", "network is unreachable", "no route to host", "connection reset", "client.timeout exceeded", "context deadline exceeded", "dial tcp"]),
    ];

    public static RegistryFailureKind Classify(string? engineMessage, HttpStatusCode? status = null)
    {
        if (!string.IsNullOrEmpty(engineMessage))
        {
            foreach (var (kind, markers) in Rules)
            {
                foreach (var marker in markers)
                {
                    if (engineMessage.Contains(marker, StringComparison.OrdinalIgnoreCase))
                    {
                        return kind;
                    }
                }
            }
        }

        return status switch
        {
            HttpStatusCode.Unauthorized => RegistryFailureKind.Unauthorized,
            HttpStatusCode.Forbidden => RegistryFailureKind.Forbidden,
            HttpStatusCode.NotFound => RegistryFailureKind.NotFound,
            HttpStatusCode.TooManyRequests => RegistryFailureKind.RateLimited,
            _ => RegistryFailureKind.Other,
        };
    }

    // The engine's message from an API error: the "message" field of its JSON body, else the body.
    public static string MessageOf(DockerApiException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var body = exception.ResponseBody;
        if (string.IsNullOrWhiteSpace(body))
        {
            return $"engine answered {(int)exception.StatusCode} {exception.StatusCode}";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                doc.RootElement.TryGetProperty("message", out var message) &&
                message.ValueKind == JsonValueKind.String)
            {
                return message.GetString()!.Trim();
            }
        }
        catch (JsonException)
        {
            // Not JSON: older engines and proxies answer with plain text.
        }

        return body.Trim();
    }

    public static DockerOperationException ToOperationException(string operation, string target, DockerApiException exception)
    {
        var message = MessageOf(exception);
        return new DockerOperationException(operation, target, Classify(message, exception.StatusCode), message, exception);
    }
}
