using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Cluster.Cli.Output;

// JSON as INTERFACE.md fixes it: camelCase names, absent values as null (never omitted), one
// document per command. Serialization is source-generated (JsonContext), never reflection-based:
// clusterctl is compiled ahead of time, where reflection over types the trimmer removed would
// fail at run time. Write therefore takes the type's JsonTypeInfo: a command printing a type
// that JsonContext does not list does not compile, rather than failing when a user runs it.
internal static class Json
{
    public static void Write<T>(TextWriter writer, T value, JsonTypeInfo<T> type)
    {
        writer.WriteLine(JsonSerializer.Serialize(value, type));
    }
}
