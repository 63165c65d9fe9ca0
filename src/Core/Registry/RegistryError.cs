using System.Text.Json;

namespace Cluster.Core.Registry;

// One entry of a registry's JSON error body {"errors":[{"code","message","detail"}]} (the
// distribution spec's error format, which Docker Hub, GHCR, GitLab, Quay and Harbor all use).
internal sealed record RegistryError(string Code, string Message)
{
    private const int MaxErrors = 10;
    private const int MaxMessageLength = 300;

    public static IReadOnlyList<RegistryError> Parse(ReadOnlySpan<byte> body)
    {
        var result = new List<RegistryError>();
        if (body.IsEmpty)
        {
            return result;
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("errors", out var errors) ||
                errors.ValueKind != JsonValueKind.Array)
            {
                return result;
            }

            foreach (var error in errors.EnumerateArray())
            {
                if (result.Count == MaxErrors || error.ValueKind != JsonValueKind.Object)
                {
                    break;
                }

                var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : string.Empty;
                var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : string.Empty;
                result.Add(new RegistryError(code, Shorten(message)));
            }
        }
        catch (JsonException)
        {
            // Not the registry's JSON (a proxy's HTML page, say): no codes to read.
        }

        return result;
    }

    public static bool HasCode(IReadOnlyList<RegistryError> errors, params string[] codes) =>
        errors.Any(e => codes.Any(code => e.Code.Equals(code, StringComparison.OrdinalIgnoreCase)));

    // "code: message" of the first error, for the end of a user-facing message.
    public static string? Describe(IReadOnlyList<RegistryError> errors)
    {
        var first = errors.FirstOrDefault(e => e.Code.Length > 0 || e.Message.Length > 0);
        if (first is null)
        {
            return null;
        }

        return first.Code.Length == 0 ? first.Message
            : first.Message.Length == 0 ? first.Code.ToLowerInvariant()
            : first.Code.ToLowerInvariant() + ": " + first.Message;
    }

    private static string Shorten(string text)
    {
        text = new string(text.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray()).Trim();
        return text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "...";
    }
}
