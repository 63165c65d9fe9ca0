using System.Reflection;
using System.Xml.Linq;
using Cluster.Leader.Storage;
using LiteDB;

namespace Cluster.Leader.Tests.Storage;

// The leader is published ahead of time (NativeAOT, issue #14), and LiteDB maps its documents by
// reflection the trimmer cannot see: a record type the native build does not keep whole fails at
// run time only ("Failed to create instance for type ..."), never in the JIT leader these tests
// run. Storage/LiteDbTrimming.xml keeps the whole Cluster.Leader.Storage namespace and LiteDB, so
// the rule that keeps the native leader working is: every type LiteDB maps for the leader lives
// in that namespace, or is a value LiteDB maps natively. These tests hold that rule for every
// collection, including ones added later, without publishing anything.
public sealed class NativeMappingTests
{
    private const string StorageNamespace = "Cluster.Leader.Storage";

    // What BsonMapper reads and writes without reflecting over the type (its own serializers, and
    // the custom types its constructor registers: Uri, DateTimeOffset, TimeSpan).
    private static readonly HashSet<Type> NativelyMapped =
    [
        typeof(string), typeof(bool), typeof(int), typeof(long), typeof(double), typeof(decimal),
        typeof(short), typeof(ushort), typeof(uint), typeof(ulong), typeof(byte), typeof(sbyte),
        typeof(float), typeof(char), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(Guid), typeof(Uri), typeof(byte[]), typeof(ObjectId), typeof(BsonValue), typeof(BsonDocument), typeof(BsonArray),
    ];

    // Collections LiteDB walks into (their element types are mapped in turn).
    private static readonly HashSet<Type> Containers = [typeof(List<>), typeof(IList<>), typeof(IEnumerable<>), typeof(ICollection<>), typeof(IReadOnlyList<>), typeof(Dictionary<,>), typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>), typeof(Nullable<>)];

    [Fact]
    public void Collections_EveryMappedType_IsKeptByTheTrimmerDescriptor()
    {
        var problems = new List<string>();
        foreach (var (record, path) in MappedTypes())
        {
            if (!IsKept(record))
            {
                problems.Add($"{path} is {record.FullName}: LiteDB maps it by reflection, but the native leader keeps only {StorageNamespace} and LiteDB whole (src/Leader/Storage/LiteDbTrimming.xml); move the type into {StorageNamespace}, or add it to that descriptor");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Collections_Found_IncludeEveryKnownRecord()
    {
        // The walk itself can fail silently (a property reached no other way is never checked):
        // the records known today must all be found, nested ones included.
        var found = MappedTypes().Select(t => t.Type).ToHashSet();

        Assert.Subset(found, new HashSet<Type>
        {
            typeof(CredentialRecord), typeof(AuditRecord), typeof(NodeRecord), typeof(NodeCheckRecord), typeof(AppRecord),
            typeof(DeploymentRecord), typeof(StepRecord), typeof(NodeStepRecord), typeof(WebhookRecord), typeof(GitCredentialRecord),
            typeof(SettingsRecord), typeof(DeploymentStatus), typeof(StepStatus), typeof(DeploymentTrigger),
        });
        Assert.Contains(found, t => t.Name == "CounterRecord");
    }

    [Fact]
    public void Collections_EveryRecord_HasAPublicParameterlessConstructor()
    {
        // BsonMapper creates a record through its parameterless constructor; the descriptor keeps
        // it, but a record without one would need a mapping LiteDB cannot derive by itself.
        var missing = MappedTypes()
            .Select(t => t.Type)
            .Where(t => t.Namespace == StorageNamespace && t.IsClass && t.GetConstructor(Type.EmptyTypes) is null)
            .Select(t => t.FullName)
            .ToList();

        Assert.True(missing.Count == 0, "no public parameterless constructor (LiteDB cannot create it): " + string.Join(", ", missing));
    }

    [Fact]
    public void Descriptor_KeepsTheStorageNamespaceAndLiteDb_AndTheLeaderUsesIt()
    {
        var root = RepositoryRoot();
        var descriptor = XDocument.Load(Path.Combine(root, "src", "Leader", "Storage", "LiteDbTrimming.xml"));
        var assemblies = descriptor.Root!.Elements("assembly").ToList();
        var leaderAssembly = typeof(LeaderDatabase).Assembly.GetName().Name;

        var leader = assemblies.SingleOrDefault(a => (string?)a.Attribute("fullname") == leaderAssembly);
        Assert.True(leader is not null, $"LiteDbTrimming.xml no longer names the assembly {leaderAssembly}");
        Assert.Contains(leader.Elements("namespace"), n => (string?)n.Attribute("fullname") == StorageNamespace && (string?)n.Attribute("preserve") == "all");
        Assert.Contains(assemblies, a => (string?)a.Attribute("fullname") == typeof(LiteDatabase).Assembly.GetName().Name && (string?)a.Attribute("preserve") == "all");

        var project = XDocument.Load(Path.Combine(root, "src", "Leader", "Leader.csproj"));
        Assert.Contains(project.Descendants("TrimmerRootDescriptor"), d => ((string?)d.Attribute("Include"))?.Replace('\\', '/') == "Storage/LiteDbTrimming.xml");
    }

    // Every type LiteDB maps for the leader, with where it was reached ("AppRecord.Env"): the
    // element types of LeaderDatabase's collections (private ones too), then recursively the
    // types of their public properties, through lists, dictionaries and Nullable<>.
    private static List<(Type Type, string Path)> MappedTypes()
    {
        var seen = new HashSet<Type>();
        var result = new List<(Type, string)>();
        var pending = new Queue<(Type, string)>();
        foreach (var property in typeof(LeaderDatabase).GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(ILiteCollection<>))
            {
                pending.Enqueue((property.PropertyType.GetGenericArguments()[0], $"LeaderDatabase.{property.Name}"));
            }
        }

        while (pending.TryDequeue(out var item))
        {
            var (type, path) = item;
            if (type.IsGenericType && Containers.Contains(type.GetGenericTypeDefinition()))
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    pending.Enqueue((argument, path));
                }

                continue;
            }

            if (type.IsArray && type != typeof(byte[]))
            {
                pending.Enqueue((type.GetElementType()!, path));
                continue;
            }

            if (!seen.Add(type))
            {
                continue;
            }

            result.Add((type, path));
            if (NativelyMapped.Contains(type) || type.IsEnum || !IsKept(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public))
            {
                pending.Enqueue((property.PropertyType, $"{type.Name}.{property.Name}"));
            }
        }

        return result;
    }

    private static bool IsKept(Type type) => NativelyMapped.Contains(type) || type.Namespace == StorageNamespace && type.Assembly == typeof(LeaderDatabase).Assembly;

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Cluster.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new DirectoryNotFoundException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
