using System.Text.Encodings.Web;
using System.Text.Json;

namespace Cluster.Cli.Output;

// JSON as INTERFACE.md fixes it: camelCase names, absent values as null (never omitted), one
// document per command.
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write<T>(TextWriter writer, T value)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, Options));
    }
}
