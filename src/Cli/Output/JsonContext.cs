using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cluster.Cli.Commands;

namespace Cluster.Cli.Output;

// Every type clusterctl prints with -o json, and its list form. A new view goes here too
// (Json.Write takes its JsonTypeInfo: JsonContext.Default.X); the metadata is generated at
// compile time, so the ahead-of-time clusterctl needs no reflection to print it.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(AppView))]
[JsonSerializable(typeof(List<AppView>))]
[JsonSerializable(typeof(DeploymentView))]
[JsonSerializable(typeof(List<DeploymentView>))]
[JsonSerializable(typeof(RegistryView))]
[JsonSerializable(typeof(List<RegistryView>))]
[JsonSerializable(typeof(RegistryDetailView))]
[JsonSerializable(typeof(RegistryCommands.VerifyView))]
[JsonSerializable(typeof(List<NodeCommands.NodeView>))]
[JsonSerializable(typeof(ClusterCommands.ClusterView))]
[JsonSerializable(typeof(ImageCommands.ImageView))]
[JsonSerializable(typeof(WebhookCommands.AddedView))]
[JsonSerializable(typeof(List<WebhookCommands.WebhookView>))]
[JsonSerializable(typeof(List<GitCommands.GitCredentialView>))]
[JsonSerializable(typeof(GitCommands.HostKeyView))]
internal sealed partial class JsonContext : JsonSerializerContext
{
    // The attribute cannot set an encoder: relaxed escaping keeps '+', '<', '>' and non-ASCII
    // readable in the output (it is printed, never embedded in HTML).
    public static JsonContext Printing { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
