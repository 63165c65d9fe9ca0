using System.Text.RegularExpressions;
using Cluster.Leader.Hosting;
using Cluster.Leader.Tests.Support;

namespace Cluster.Leader.Tests;

// The leader's folders (namespaces Cluster.Leader.X) depend on each other exactly as README's
// "Architecture" section draws: the graph is read from the compiled assembly (TypeReferences:
// signatures and method bodies), so a new `using` of another feature, a partly qualified name
// or a lambda reaching across fails here, and so does an edge that went away while the table
// (and the README) still shows it. What the compiler copies into the IL as a value (a `const`,
// an enum member, `nameof`) leaves no reference there, so the sources' `using Cluster.Leader.X`
// directives and fully qualified names count too. Change the README's drawing with this table.
public sealed partial class LeaderDependencyTests
{
    // Each folder and the folders it uses, in the README's order: a folder uses only folders drawn
    // after it. Storage and Operations (domain errors) are used by nearly all and use nothing of
    // the leader.
    private static readonly Dictionary<string, string[]> Drawn = new()
    {
        ["Hosting"] = ["Agents", "Api", "Apps", "AutoSync", "Builds", "ClusterConfig", "Credentials", "Deployments", "Security", "Sources", "Storage", "Webhooks"],
        ["Api"] = ["Agents", "Apps", "AutoSync", "Builds", "ClusterConfig", "Credentials", "Deployments", "Operations", "Security", "Sources", "Storage", "Webhooks"],
        ["Webhooks"] = ["AutoSync", "Operations", "Security", "Storage"],
        ["AutoSync"] = ["Apps", "Builds", "Credentials", "Deployments", "Operations", "Storage"],
        ["Deployments"] = ["Agents", "Apps", "Builds", "Credentials", "Operations", "Sources", "Storage"],
        ["Builds"] = ["Agents", "Apps", "Credentials", "Operations", "Sources", "Storage"],
        ["Sources"] = ["Apps", "Operations", "Storage"],
        ["Apps"] = ["Credentials", "Operations", "Storage"],
        ["ClusterConfig"] = ["Credentials", "Operations", "Security", "Storage"],
        ["Agents"] = ["Credentials", "Operations", "Security", "Storage"],
        ["Credentials"] = ["Operations", "Security", "Storage"],
        ["Security"] = ["Operations", "Storage"],
        ["Operations"] = [],
        ["Storage"] = [],
    };

    [Fact]
    public void LeaderFolders_DependOnEachOther_ExactlyAsDrawn()
    {
        var actual = Graph();

        var extra = actual.SelectMany(kv => kv.Value.Keys.Where(to => !(Drawn.GetValueOrDefault(kv.Key) ?? []).Contains(to)).Select(to => $"{kv.Key} -> {to} ({kv.Value[to]})")).ToList();
        var gone = Drawn.SelectMany(kv => kv.Value.Where(to => !(actual.GetValueOrDefault(kv.Key)?.ContainsKey(to) ?? false)).Select(to => $"{kv.Key} -> {to}")).ToList();

        Assert.True(extra.Count + gone.Count == 0,
            "dependencies the README does not draw:\n" + string.Join("\n", extra) +
            "\ndrawn dependencies the code no longer has (update README and this table):\n" + string.Join("\n", gone));
        Assert.Equal(Drawn.Keys.Order(StringComparer.Ordinal), actual.Keys.Concat(Drawn.Keys.Where(k => Drawn[k].Length == 0)).Distinct().Order(StringComparer.Ordinal));
    }

    // The direction the issue asks for between the four core features: Deployments uses Apps and
    // Agents, both use Credentials, and nothing points back up, directly or through another folder.
    [Theory]
    [InlineData("Credentials", "Apps")]
    [InlineData("Credentials", "Agents")]
    [InlineData("Credentials", "Deployments")]
    [InlineData("Apps", "Deployments")]
    [InlineData("Agents", "Deployments")]
    [InlineData("Apps", "Agents")]
    [InlineData("Agents", "Apps")]
    [InlineData("Credentials", "Api")]
    [InlineData("Storage", "Credentials")]
    public void CoreFeatures_NeverReachBackUp(string from, string notReached) =>
        Assert.DoesNotContain(notReached, Reached(Graph(), from));

    // The API layer (Api, the gRPC dispatchers aside) and the composition root (Hosting) are on
    // top: no domain folder reaches either, directly or through another folder.
    [Fact]
    public void DomainFolders_NeverReachTheApiLayerOrHosting()
    {
        var graph = Graph();
        var upward = graph.Keys.Where(f => f is not ("Api" or "Hosting"))
            .SelectMany(f => Reached(graph, f).Where(r => r is "Api" or "Hosting").Select(r => $"{f} reaches {r}"))
            .ToList();

        Assert.True(upward.Count == 0, string.Join("\n", upward));
    }

    private static HashSet<string> Reached(Dictionary<string, Dictionary<string, string>> graph, string from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var next = new Queue<string>([from]);
        while (next.TryDequeue(out var folder))
        {
            foreach (var to in (graph.GetValueOrDefault(folder)?.Keys.AsEnumerable() ?? []).Where(seen.Add))
            {
                next.Enqueue(to);
            }
        }

        seen.Remove(from);
        return seen;
    }

    // #15 item 6: domain code reports refusals as OperationException (Operations), and only the
    // API layer turns them into gRPC statuses: the Api folder, the composition root and the gRPC
    // service implementations (the dispatchers, named *Api, deriving from a generated base).
    [Fact]
    public void GrpcTypes_UsedOnlyByTheApiLayer()
    {
        var misplaced = new List<string>();
        foreach (var type in typeof(LeaderHost).Assembly.GetTypes().Where(t => !t.IsNested && Folder(t) is not (null or "Api" or "Hosting")))
        {
            if (IsGrpcService(type))
            {
                continue;
            }

            misplaced.AddRange(TypeReferences.Of(type)
                .Where(r => r.Key.Namespace == "Grpc.Core")
                .Select(r => $"{type.FullName} uses {r.Key.Name} ({r.Value})"));
        }

        Assert.True(misplaced.Count == 0, "domain types using gRPC (throw OperationException instead):\n" + string.Join("\n", misplaced));
    }

    private static bool IsGrpcService(Type type) =>
        type.BaseType?.GetCustomAttributes(typeof(Grpc.Core.BindServiceMethodAttribute), inherit: false).Length > 0;

    // #15 item 6: the folders depend on each other in one direction. Any cycle in the compiled
    // graph fails here, with the folders that form it and the references that close it.
    [Fact]
    public void LeaderFolders_HaveNoCycle()
    {
        var graph = Graph();
        var groups = StronglyConnected(graph.ToDictionary(kv => kv.Key, kv => kv.Value.Keys.ToArray()))
            .Where(g => g.Count > 1)
            .Select(g => string.Join(", ", g.Order(StringComparer.Ordinal)) + ":\n  " + string.Join("\n  ",
                g.SelectMany(from => graph[from].Where(to => g.Contains(to.Key)).Select(to => $"{from} -> {to.Key} ({to.Value})"))))
            .ToList();

        Assert.True(groups.Count == 0, "folders that depend on each other in a cycle:\n" + string.Join("\n", groups));
    }

    // The README's drawing has no cycle either (it draws the same edges, see above).
    [Fact]
    public void Drawing_HasNoCycle() =>
        Assert.All(StronglyConnected(Drawn), g => Assert.Single(g));

    // folder -> (folder it uses -> one example reference, for messages).
    private static Dictionary<string, Dictionary<string, string>> Graph()
    {
        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var type in typeof(LeaderHost).Assembly.GetTypes().Where(t => !t.IsNested))
        {
            if (Folder(type) is not { } from)
            {
                continue;
            }

            var tos = edges.TryGetValue(from, out var known) ? known : edges[from] = new(StringComparer.Ordinal);
            foreach (var (target, where) in TypeReferences.Of(type))
            {
                if (target.Assembly == type.Assembly && Folder(target) is { } to && to != from)
                {
                    tos.TryAdd(to, $"{target.Name} in {type.Namespace}.{where}");
                }
            }
        }

        foreach (var (from, to, where) in SourceEdges())
        {
            if (from != to && edges.ContainsKey(to))
            {
                (edges.TryGetValue(from, out var tos) ? tos : edges[from] = new(StringComparer.Ordinal)).TryAdd(to, where);
            }
        }

        return edges;
    }

    // Edges only the source shows: in each file of src/Leader, every `Cluster.Leader.X` outside
    // its namespace declaration and its comments (using directives, using static, fully
    // qualified names). A name only partly qualified (`Sources.SourceRules`) and used only for a
    // const stays unseen.
    private static IEnumerable<(string From, string To, string Where)> SourceEdges()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Cluster.sln")))
        {
            root = root.Parent;
        }

        var leader = Path.Combine(root?.FullName ?? throw new InvalidOperationException($"Cluster.sln not found above {AppContext.BaseDirectory}"), "src", "Leader");
        foreach (var file in Directory.EnumerateFiles(leader, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(leader, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "obj" or "bin")
            {
                continue;
            }

            var text = LineComment().Replace(File.ReadAllText(file), "");
            if (NamespaceDeclaration().Match(text) is not { Success: true } declared)
            {
                continue;
            }

            foreach (Match used in LeaderName().Matches(NamespaceDeclaration().Replace(text, "")))
            {
                yield return (declared.Groups[1].Value, used.Groups[1].Value, $"{used.Value} in src/Leader/{relative}");
            }
        }
    }

    [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
    private static partial Regex LineComment();

    [GeneratedRegex(@"^\s*namespace\s+Cluster\.Leader\.(\w+)[\w.]*", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\bCluster\.Leader\.([A-Z]\w*)\b")]
    private static partial Regex LeaderName();

    private static string? Folder(Type type) =>
        type.Namespace is { } ns && ns.StartsWith("Cluster.Leader.", StringComparison.Ordinal) ? ns["Cluster.Leader.".Length..].Split('.')[0] : null;

    // Tarjan's strongly connected components.
    private static List<List<string>> StronglyConnected(Dictionary<string, string[]> graph)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var groups = new List<List<string>>();

        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            foreach (var w in graph.GetValueOrDefault(v, []))
            {
                if (!index.TryGetValue(w, out var reached))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (stack.Contains(w))
                {
                    low[v] = Math.Min(low[v], reached);
                }
            }

            if (low[v] == index[v])
            {
                var group = new List<string>();
                string w;
                do
                {
                    w = stack.Pop();
                    group.Add(w);
                }
                while (w != v);
                groups.Add(group);
            }
        }

        foreach (var v in graph.Keys.Order(StringComparer.Ordinal).Where(v => !index.ContainsKey(v)))
        {
            Visit(v);
        }

        return groups;
    }
}
