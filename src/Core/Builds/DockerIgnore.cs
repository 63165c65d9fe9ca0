using System.Text;
using System.Text.RegularExpressions;

namespace Cluster.Core.Builds;

// The rules of a .dockerignore file, as the docker CLI applies them: one pattern per line,
// `#` comments, `!` re-includes, Go filepath.Match syntax (`*`, `?`, `[...]`) plus `**` for any
// number of directories, paths relative to the context root (a leading `/` is ignored). The last
// pattern that matches a path decides; a pattern that matches a directory excludes everything
// below it.
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Include)> _rules = [];

    public static DockerIgnore Empty { get; } = new();

    public bool HasExceptions => _rules.Any(r => r.Include);

    public static DockerIgnore Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ignore = new DockerIgnore();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var include = line.StartsWith('!');
            if (include)
            {
                line = line[1..].Trim();
            }

            var cleaned = Clean(line);
            if (cleaned.Length == 0)
            {
                continue;
            }

            ignore._rules.Add((new Regex(ToRegex(cleaned), RegexOptions.CultureInvariant | RegexOptions.Singleline), include));
        }

        return ignore;
    }

    // `path` is relative to the context root with '/' separators.
    public bool IsExcluded(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var excluded = false;
        foreach (var (pattern, include) in _rules)
        {
            if (Matches(pattern, path))
            {
                excluded = !include;
            }
        }

        return excluded;
    }

    // The path itself or one of its parent directories.
    private static bool Matches(Regex pattern, string path)
    {
        if (pattern.IsMatch(path))
        {
            return true;
        }

        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            if (pattern.IsMatch(path[..slash]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Clean(string pattern)
    {
        var parts = new List<string>();
        foreach (var part in pattern.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == ".." && parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    // "**" matches any number of directories, including none ("**/x" matches "x").
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    {
                        i++;
                        regex.Append("(.*/)?");
                    }
                    else
                    {
                        regex.Append(".*");
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0)
                    {
                        regex.Append(@"\[");
                        break;
                    }

                    var set = pattern[(i + 1)..end];
                    regex.Append('[').Append(set.StartsWith('^') || set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();
    }
}
