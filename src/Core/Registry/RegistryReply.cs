using System.Net;

namespace Cluster.Core.Registry;

// One answer of a registry or token server, its body bounded, with how the request was
// authenticated. Header names compare case-insensitively.
internal sealed record RegistryReply(HttpStatusCode Status, string? Reason, Dictionary<string, string[]> HeaderValues, byte[] Body, Uri Uri, AuthUse Auth)
{
    public string? Header(string name) => HeaderValues.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : null;

    public string[] Headers(string name) => HeaderValues.TryGetValue(name, out var values) ? values : [];

    public override string ToString() => $"{(int)Status} {Reason} from {Uri.GetLeftPart(UriPartial.Path)}";
}
