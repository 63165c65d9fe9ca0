using System.Reflection;
using Google.Protobuf.Reflection;

namespace Cluster.Leader.Tests.Support;

// Every gRPC service the product's contracts declare, read from the generated descriptors of
// every .proto file in Cluster.Protos, so a new rpc or a new file is covered without editing
// any test.
public static class ProtoServices
{
    public static IReadOnlyList<ServiceDescriptor> All { get; } = typeof(Cluster.Protos.Admin.V1.AdminReflection).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: true, IsSealed: true } && t.Name.EndsWith("Reflection", StringComparison.Ordinal))
        .Select(t => t.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null))
        .OfType<FileDescriptor>()
        .SelectMany(f => f.Services)
        .ToList();

    public static IEnumerable<ServiceDescriptor> InPackage(string package) =>
        All.Where(s => s.File.Package == package);

    // The request paths a client could send for one rpc: the canonical one and the variants that
    // routing may still map to it (case, trailing and doubled slashes, percent-encoding).
    public static IEnumerable<string> PathVariants(MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var package = method.Service.File.Package;
        var service = method.Service.Name;
        var name = method.Name;
        yield return $"/{package}.{service}/{name}";
        yield return $"/{char.ToUpperInvariant(package[0])}{package[1..]}.{service}/{name}";
        yield return $"/{package.ToUpperInvariant()}.{service}/{name}";
        yield return $"/{package}.{service.ToUpperInvariant()}/{name.ToUpperInvariant()}";
        yield return $"/{package.ToUpperInvariant()}.{service.ToUpperInvariant()}/{name.ToUpperInvariant()}";
        yield return $"/{package}.{service}/{name}/";
        yield return $"/%{(int)package[0]:X2}{package[1..]}.{service}/{name}";
        yield return $"/{package}.%{(int)service[0]:x2}{service[1..]}/{name}";
        yield return $"/{package}.{service}/%{(int)name[0]:X2}{name[1..]}";
        yield return $"//{package}.{service}/{name}";
        yield return $"/{package}.{service}//{name}";
    }
}
